import { IntlMessageFormat } from 'intl-messageformat';
import { createContext, use, useMemo, type ReactNode } from 'react';
import type { Locale } from '../../shared/contract/primitives.ts';
import { catalogues } from './catalogues.ts';
import type { MessageId } from './en.ts';

export type Text = (id: MessageId, values?: Record<string, string | number>) => string;

type Interface = { locale: Locale; text: Text };

/**
 * A message without ICU syntax is its own text. Formatting it anyway would load the browser's locale data (tens of
 * ms on a kiosk's CPU) before the first screen can paint; messages with arguments pay that when first shown.
 */
const icuSyntax = /[{}'<]/;

function textIn(locale: Locale): Text {
  const formats = new Map<MessageId, IntlMessageFormat>();
  return (id, values) => {
    const message = catalogues[locale][id];
    if (!icuSyntax.test(message)) return message;
    let format = formats.get(id);
    if (!format) {
      format = new IntlMessageFormat(message, locale);
      formats.set(id, format);
    }
    return String(format.format(values));
  };
}

const InterfaceLanguage = createContext<Interface>({ locale: 'en', text: textIn('en') });

/** The interface language for everything below it: catalogue text, formatted as ICU messages in `locale`. */
export function TextProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  const value = useMemo(() => ({ locale, text: textIn(locale) }), [locale]);
  return <InterfaceLanguage value={value}>{children}</InterfaceLanguage>;
}

/** Interface text by catalogue key, in the current language. */
export function useText(): Text {
  return use(InterfaceLanguage).text;
}

export function useLocale(): Locale {
  return use(InterfaceLanguage).locale;
}
