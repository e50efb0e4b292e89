import { describe, expect, it } from 'vitest';
import { renderConsentSentence } from '../../../shared/wording.ts';
import { terms } from '../../fixtures/bank-terms.ts';


describe('consent wording', () => {
  it('names the business, its WhatsApp number and every purpose in one sentence', () => {
    const sentence = renderConsentSentence(terms, 'opt_in', ['balance_alerts', 'payment_notices'], 'en');
    expect(sentence.text).toBe(
      'I agree to receive balance alerts and payment notices from Sakura Bank on WhatsApp (+81 3 1234 5678).',
    );
    expect(sentence.notice).toEqual({ id: 'atm-whatsapp', version: '2026-11-01', locale: 'en' });
  });

  it('renders the Japanese notice with a Japanese list', () => {
    const sentence = renderConsentSentence(terms, 'opt_in', ['balance_alerts', 'payment_notices'], 'ja');
    expect(sentence.text).toBe('Sakura Bank（+81 3 1234 5678）からWhatsAppで残高通知、支払い通知を受け取ることに同意します。');
  });

  it('refuses to bundle marketing into a service-message consent', () => {
    expect(() => renderConsentSentence(terms, 'opt_in', ['balance_alerts', 'offers'], 'en')).toThrow(
      expect.objectContaining({ code: 'bundled_marketing' }),
    );
  });

  it('refuses a purpose the profile does not define', () => {
    expect(() => renderConsentSentence(terms, 'opt_in', ['lottery'], 'en')).toThrow(
      expect.objectContaining({ code: 'unknown_purpose' }),
    );
  });
});
