import { describe, expect, it } from 'vitest';
import { renderConsentSentence } from '../../../shared/wording.ts';
import type { ConsentTerms } from '../../../shared/contract/profile.ts';

const terms: ConsentTerms = {
  business: { name: 'Sakura Bank', whatsappNumber: '+81312345678' },
  channel: 'atm',
  defaultCountry: 'JP',
  purposes: [
    { id: 'balance_alerts', category: 'utility', label: { en: 'balance alerts', ja: '残高通知' } },
    { id: 'payment_notices', category: 'utility', label: { en: 'payment notices', ja: '支払い通知' } },
    { id: 'offers', category: 'marketing', label: { en: 'offers', ja: 'お得な情報' } },
  ],
  notices: [
    {
      id: 'atm-whatsapp',
      version: '2026-11-01',
      locale: 'en',
      optIn: 'I agree to receive {purposes} from {business} on WhatsApp ({number}).',
      optOut: 'Stop sending me {purposes} from {business} on WhatsApp.',
    },
    {
      id: 'atm-whatsapp',
      version: '2026-11-01',
      locale: 'ja',
      optIn: '{business}（{number}）からWhatsAppで{purposes}を受け取ることに同意します。',
      optOut: '{business}からのWhatsAppでの{purposes}を停止します。',
    },
  ],
};

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
