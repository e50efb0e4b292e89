import { describe, expect, it } from 'vitest';
import { checkMobileNumber, maskPhone } from '../../../shared/phone.ts';

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

  it('masks all but the last four digits', () => {
    expect(maskPhone('+819012345678')).toBe('+••••••••5678');
  });
});
