import { IntlMessageFormat } from 'intl-messageformat';
import type { ConsentKind, Locale } from './contract/primitives.ts';
import type { ConsentTerms, NoticeDefinition, PurposeDefinition } from './contract/profile.ts';
import { KioskFailure } from './contract/errors.ts';
import { formatInternational } from './phone.ts';

export type ConsentSentence = {
  notice: Pick<NoticeDefinition, 'id' | 'version' | 'locale'>;
  purposes: PurposeDefinition[];
  text: string;
};

/**
 * Renders the exact sentence a person agrees to. The UI, the signed event and every export call this one
 * function with the same profile, so they can never disagree.
 */
export function renderConsentSentence(
  terms: ConsentTerms,
  kind: ConsentKind,
  purposeIds: readonly string[],
  locale: Locale,
): ConsentSentence {
  const purposes = purposeIds.map((id) => {
    const purpose = terms.purposes.find((candidate) => candidate.id === id);
    if (!purpose) throw new KioskFailure('unknown_purpose', `The profile has no purpose "${id}".`);
    return purpose;
  });
  if (new Set(purposeIds).size !== purposeIds.length) {
    throw new KioskFailure('invalid_request', 'A purpose is listed twice in one consent.');
  }
  const categories = new Set(purposes.map((purpose) => purpose.category));
  if (categories.size > 1) {
    throw new KioskFailure('bundled_marketing', 'Marketing must be agreed to separately from service messages.');
  }
  const notice = terms.notices.find((candidate) => candidate.locale === locale);
  if (!notice) throw new KioskFailure('invalid_request', `The profile has no consent notice in "${locale}".`);

  const labels = purposes.map((purpose) => {
    const label = purpose.label[locale];
    if (!label) throw new KioskFailure('invalid_request', `Purpose "${purpose.id}" has no label in "${locale}".`);
    return label;
  });
  const template = kind === 'opt_in' ? notice.optIn : notice.optOut;
  const text = new IntlMessageFormat(template, locale).format<string>({
    business: terms.business.name,
    number: formatInternational(terms.business.whatsappNumber),
    purposes: new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(labels),
  });
  if (typeof text !== 'string') throw new KioskFailure('invalid_request', 'A consent notice must render to plain text.');
  return { notice: { id: notice.id, version: notice.version, locale: notice.locale }, purposes, text };
}
