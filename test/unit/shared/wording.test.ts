import { describe, expect, it } from 'vitest';
import { RECIPIENT_SLOT, recipientOnScreen, renderConsentSentence, renderHowToStop, sentenceShownTo, shownSentence } from '../../../shared/wording.ts';
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

describe('the number the messages go to', () => {
  const withRecipient = {
    ...terms,
    notices: terms.notices.map((notice) => ({ ...notice, optIn: `${notice.optIn} → {recipient}` })),
  };

  it('is recorded as its placeholder, so the signed text is the same for every customer', () => {
    const recorded = renderConsentSentence(withRecipient, 'opt_in', ['offers'], 'en').text;
    expect(recorded).toBe(`I agree to receive offers from Sakura Bank on WhatsApp (+81 3 1234 5678). → ${RECIPIENT_SLOT}`);
    expect(sentenceShownTo(recorded, '+••••••••5678')).toBe('I agree to receive offers from Sakura Bank on WhatsApp (+81 3 1234 5678). → +••••••••5678');
    expect(shownSentence(withRecipient, 'opt_in', ['offers'], 'en', '+81 90 1234 5678')).toContain('→ +81 90 1234 5678');
  });

  it('is shown masked when the host verified it and in full, formatted, when the customer typed it', () => {
    expect(recipientOnScreen('host_verified', '+819012345678')).toBe('+••••••••5678');
    expect(recipientOnScreen('self_entered', '+819012345678')).toBe('+81 90 1234 5678');
  });
});

describe('how to stop', () => {
  it('is the notice’s own text, with the business and its number', () => {
    const own = { ...terms, notices: terms.notices.map((notice) => ({ ...notice, howToStop: 'Send 停止 to {business} ({number}).' })) };
    expect(renderHowToStop(own, 'ja')).toBe('Send 停止 to Sakura Bank (+81 3 1234 5678).');
  });

  it('falls back to "reply STOP" in the customer’s language when the notice does not say', () => {
    expect(renderHowToStop(terms, 'en')).toBe('To stop, reply STOP to Sakura Bank on WhatsApp (+81 3 1234 5678).');
    expect(renderHowToStop(terms, 'ja')).toBe('WhatsAppでSakura Bank（+81 3 1234 5678）に「STOP」と返信すると停止できます。');
  });
});
