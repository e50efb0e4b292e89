import { parsePhoneNumberFromString, AsYouType, type CountryCode, type PhoneNumber } from 'libphonenumber-js/mobile';

export type PhoneCheck = { ok: true; e164: string; international: string } | { ok: false };

/**
 * Only mobile numbers can receive WhatsApp messages. libphonenumber's mobile metadata knows only mobile ranges, so
 * a landline is as invalid as a typo; number plans where fixed and mobile look alike (the US) are accepted.
 * getType() is undefined for any number isValid() would refuse (it is the same pattern match), so it is the whole
 * check: calling isValid() as well would match the number against the metadata twice.
 */
function parseMobile(raw: string, defaultCountry: string): PhoneNumber | undefined {
  const parsed = parsePhoneNumberFromString(raw, defaultCountry as CountryCode);
  const type = parsed?.getType();
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE' ? parsed : undefined;
}

/** The check plus the display form, for the screen that shows the number back to the person. */
export function checkMobileNumber(raw: string, defaultCountry: string): PhoneCheck {
  const parsed = parseMobile(raw, defaultCountry);
  return parsed ? { ok: true, e164: parsed.number, international: parsed.formatInternational() } : { ok: false };
}

/** The same check, E.164 only (or null): what the ledger stores, without formatting a display form it never shows. */
export function mobileE164(raw: string, defaultCountry: string): string | null {
  return parseMobile(raw, defaultCountry)?.number ?? null;
}

/** What the ledger keeps of a typed number: its E.164, and its display form (`formatInternational(e164)`) on demand. */
export type MobileNumber = { e164: string; international(): string };

/**
 * The ledger's check, parsing once on its usual path: the phone screen and the host integration hand it the E.164
 * itself, and a number that starts with "+" is parsed without regard to the default country, so this parse is the
 * one `formatInternational(e164)` would repeat. Any other form (national, or with an extension, which the E.164
 * drops and the display must too) is formatted from its E.164.
 */
export function mobileNumber(raw: string, defaultCountry: string): MobileNumber | null {
  const parsed = parseMobile(raw, defaultCountry);
  if (!parsed) return null;
  const e164 = parsed.number;
  return { e164, international: () => (raw === e164 ? parsed.formatInternational() : formatInternational(e164)) };
}

/** Live formatting for the keypad display. */
export function formatAsTyped(digits: string, country: string): string {
  return new AsYouType(country as CountryCode).input(digits);
}

/** The one way a phone number may appear on a shared screen or in a log line: all but the last four hidden. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return '•'.repeat(digits.length);
  return `${phone.startsWith('+') ? '+' : ''}${'•'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

/** International display form of a number already known to be E.164 (the business's own number, say). */
export function formatInternational(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}
