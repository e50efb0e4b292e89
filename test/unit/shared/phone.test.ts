import { describe, expect, it } from 'vitest';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/mobile';
import { checkMobileNumber, formatInternational, maskPhone, mobileE164, mobileNumber } from '../../../shared/phone.ts';

describe('phone rules', () => {
  it('accepts a Japanese mobile typed in national form and returns E.164', () => {
    expect(checkMobileNumber('090-1234-5678', 'JP')).toMatchObject({ ok: true, e164: '+819012345678' });
  });

  it('refuses a Japanese landline, which cannot receive WhatsApp messages', () => {
    expect(checkMobileNumber('03-1234-5678', 'JP')).toEqual({ ok: false });
  });

  it('refuses digits that are not a number at all', () => {
    expect(checkMobileNumber('12345', 'JP')).toEqual({ ok: false });
  });

  it('gives the ledger the same verdict and E.164 as the screen, and the same as a full validity check', () => {
    const cases: Array<[string, string]> = [
      ['090-1234-5678', 'JP'],
      ['+81 90 1234 5678', 'US'],
      ['03-1234-5678', 'JP'],
      ['12345', 'JP'],
      ['07400 123456', 'GB'],
      ['020 7946 0018', 'GB'],
      ['(201) 555-0123', 'US'],
      ['+1 201 555 0123 ext. 7', 'JP'],
      ['0151 12345678', 'DE'],
      ['030 123456', 'DE'],
      ['+55 11 91234 5678', 'BR'],
      ['090-1234-56789', 'JP'],
      ['not a number', 'JP'],
      ['+999 1234 5678', 'JP'],
    ];
    for (const [raw, country] of cases) {
      const checked = checkMobileNumber(raw, country);
      const parsed = parsePhoneNumberFromString(raw, country as CountryCode);
      const type = parsed?.getType();
      const validMobile = Boolean(parsed?.isValid()) && (type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE');
      expect(mobileE164(raw, country), `${raw} (${country})`).toBe(checked.ok ? checked.e164 : null);
      expect(checked.ok, `${raw} (${country})`).toBe(validMobile);
      // the ledger's single parse: the display form of the E.164, whatever form the number was typed in
      const number = mobileNumber(raw, country);
      expect(number?.e164 ?? null, `${raw} (${country})`).toBe(checked.ok ? checked.e164 : null);
      if (checked.ok) {
        expect(number?.international(), `${raw} (${country})`).toBe(formatInternational(checked.e164));
        expect(mobileNumber(checked.e164, country)?.international(), `${checked.e164} (${country})`).toBe(formatInternational(checked.e164));
      }
    }
    // typed with an extension, the number is shown as its E.164 is, without it
    expect(mobileNumber('+1 201 555 0123 ext. 7', 'JP')?.international()).toBe('+1 201 555 0123');
    expect(checkMobileNumber('07400 123456', 'GB')).toEqual({ ok: true, e164: '+447400123456', international: '+44 7400 123456' });
  });

  it('masks all but the last four digits', () => {
    expect(maskPhone('+819012345678')).toBe('+••••••••5678');
  });
});
