import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ConsentEventBody, SubjectOpening } from '../../../shared/contract/consent-event.ts';
import { canonicalEventBody, canonicalJson } from '../../../shared/event-bytes.ts';
import { commitmentOf, newOpening } from '../../../electron/ledger/personal-data.ts';

/** A body with its keys deliberately out of order, so only the compiled writer's ordering can make it canonical. */
function body(text: string, overrides: Partial<ConsentEventBody> = {}): ConsentEventBody {
  return {
    type: 'consent',
    v: 2,
    seq: 9_007_199_254_740_991,
    kind: 'opt_out',
    id: '019ab1c2-d3e4-7f00-8a00-0123456789ab',
    subject: { source: 'host_verified', commitment: 'c'.repeat(64) },
    prev: 'a'.repeat(64),
    notice: { version: '2026-11', text, locale: 'ja', id: 'bank-notice' },
    purpose: { id: 'balance_alerts', category: 'utility' },
    device: { keyId: 'b'.repeat(32), id: crypto.randomUUID() },
    business: { whatsappNumber: '+81312345678', name: 'Go2Bank "銀行" \\ <b>', id: 'go2bank' },
    flowId: 'atm-balance',
    entryPoint: 'atm.after_transaction',
    clock: { monoMs: 123_456_789, knownGood: true, bootId: crypto.randomUUID() },
    channel: 'atm',
    capturedAt: '2026-11-25T12:00:00.000Z',
    ...overrides,
  };
}

describe('the bytes a capture signs', () => {
  it.each([
    ['plain ASCII', 'I agree to receive balance alerts from Go2Bank on WhatsApp.'],
    ['Japanese with full-width punctuation', 'Go2Bank から（+81 3-1234-5678）で残高通知を受け取ることに同意します。'],
    ['quotes, backslashes and control characters', 'say "yes"\\\n\t\u0000\u001f\u007f\u2028\u2029'],
    ['emoji', '👍🏽 ok end'],
    ['right-to-left and combining marks', 'أوافق على تلقي التنبيهات e\u0301'],
  ])('are the RFC 8785 canonical JSON of the body for %s', (_name, text) => {
    const event = body(text);
    expect(canonicalEventBody(event)).toBe(canonicalJson(event));
    const other = body(text, { seq: 1, clock: { knownGood: false, bootId: crypto.randomUUID(), monoMs: 0 }, kind: 'opt_in' });
    expect(canonicalEventBody(other)).toBe(canonicalJson(other));
  });

  it('commits to the opening by the hash of its canonical JSON, with or without a customer reference', () => {
    for (const customerRef of [undefined, 'cust-42 "ü"']) {
      const fresh = newOpening('+819012345678', customerRef);
      const opening = JSON.parse(fresh.json) as SubjectOpening;
      expect(fresh.json).toBe(canonicalJson(opening));
      expect(fresh.commitment).toBe(commitmentOf(opening));
      expect(opening.customerRef).toBe(customerRef);
    }
  });
});
