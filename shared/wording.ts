import { IntlMessageFormat } from 'intl-messageformat';
import type { ConsentKind, Locale, SubjectSource } from './contract/primitives.ts';
import type { ConsentTerms, NoticeDefinition, PurposeDefinition } from './contract/profile.ts';
import { KioskFailure } from './contract/errors.ts';
import { formatInternational, maskPhone } from './phone.ts';

export type ConsentSentence = {
  notice: Pick<NoticeDefinition, 'id' | 'version' | 'locale'>;
  purposes: PurposeDefinition[];
  text: string;
};

/**
 * Where a notice names the number the messages go to (`{recipient}`), the recorded sentence keeps this placeholder:
 * the signed notice text is then the same for every customer who saw the same notice, version and purposes, and the
 * number itself is proven by the event's own (encrypted) subject. docs/event-format.md says how to rebuild what the
 * customer saw.
 */
export const RECIPIENT_SLOT = '{recipient}';

/**
 * Renders the exact sentence a person agrees to, as it is recorded (the recipient left as RECIPIENT_SLOT; see
 * `sentenceShownTo`). The UI, the signed event and every export call this one function with the same profile, so
 * they can never disagree.
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
    recipient: RECIPIENT_SLOT,
    purposes: new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(labels),
  });
  if (typeof text !== 'string') throw new KioskFailure('invalid_request', 'A consent notice must render to plain text.');
  return { notice: { id: notice.id, version: notice.version, locale: notice.locale }, purposes, text };
}

/** The recorded sentence as it stood on screen: the recipient placeholder replaced by the number as shown. */
export function sentenceShownTo(recordedText: string, recipientOnScreen: string): string {
  return recordedText.split(RECIPIENT_SLOT).join(recipientOnScreen);
}

/** The sentence as a customer sees it: rendered for the profile, naming their number as `recipientOnScreen` shows it. */
export function shownSentence(terms: ConsentTerms, kind: ConsentKind, purposeIds: readonly string[], locale: Locale, recipient: string): string {
  return sentenceShownTo(renderConsentSentence(terms, kind, purposeIds, locale).text, recipient);
}

/**
 * How the customer's number appears on screen, in the sentence and on the receipt: a host-verified number only
 * masked (the customer did not type it and others may be looking), a typed one as the customer typed it, formatted.
 * `international` is that formatted form when the caller has parsed the number already (shared/phone.ts `mobileNumber`).
 */
export function recipientOnScreen(source: SubjectSource, e164: string, international = () => formatInternational(e164)): string {
  return source === 'host_verified' ? maskPhone(e164) : international();
}

/** What a receipt says about stopping when the business's notice does not say it itself (`howToStop`). */
const defaultHowToStop: Record<Locale, string> = {
  ja: 'WhatsAppで{business}（{number}）に「STOP」と返信すると停止できます。',
  en: 'To stop, reply STOP to {business} on WhatsApp ({number}).',
  es: 'Para darse de baja, responda STOP a {business} por WhatsApp ({number}).',
  'pt-BR': 'Para cancelar, responda STOP para {business} pelo WhatsApp ({number}).',
  id: 'Untuk berhenti, balas STOP ke {business} melalui WhatsApp ({number}).',
};

/**
 * How the customer stops the messages, in their language, for the receipt (on screen and the host's printout): the
 * notice's own `howToStop` (the business's STOP keyword and its other ways out), else a plain "reply STOP".
 */
export function renderHowToStop(terms: ConsentTerms, locale: Locale): string {
  const notice = terms.notices.find((candidate) => candidate.locale === locale);
  const template = notice?.howToStop ?? defaultHowToStop[locale];
  const text = new IntlMessageFormat(template, locale).format<string>({
    business: terms.business.name,
    number: formatInternational(terms.business.whatsappNumber),
  });
  if (typeof text !== 'string') throw new KioskFailure('invalid_request', 'A how-to-stop text must render to plain text.');
  return text;
}
