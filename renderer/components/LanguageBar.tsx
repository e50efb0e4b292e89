import type { Locale } from '../../shared/contract/primitives.ts';
import { languageNames } from '../i18n/catalogues.ts';
import { useText } from '../i18n/use-text.tsx';

type Props = { locales: Locale[]; current: Locale; onChange: (locale: Locale) => void };

/** Always on screen; switching keeps the person's place and everything they chose. */
export function LanguageBar({ locales, current, onChange }: Props) {
  const text = useText();
  return (
    <nav className="language-bar" aria-label={text('app.languages')}>
      {locales.map((locale) => (
        <button
          key={locale}
          type="button"
          lang={locale}
          className="chip"
          aria-pressed={locale === current}
          onClick={() => onChange(locale)}
        >
          {languageNames[locale]}
        </button>
      ))}
    </nav>
  );
}
