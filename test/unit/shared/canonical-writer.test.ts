import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChainEventBody } from '../../../shared/contract/chain-event.ts';
import { SubjectOpening } from '../../../shared/contract/consent-event.ts';
import { canonicalApiStatement, canonicalEventBody, canonicalJson, canonicalOpening } from '../../../shared/event-bytes.ts';
import { Profile } from '../../../shared/contract/profile.ts';

// Texts where RFC 8785 escaping matters: quotes, backslashes, control characters, astral characters.
const awkwardTexts = [
  'プロモーションをWhatsAppで受け取ることに同意します。',
  'He said "yes" \\ then \u0000\u0007\b\f\n\r\t\u001f\u007f left',
  'emoji 📱 and 𝄞 (astral)',
  '\u2028\u2029 line separators, é, ß, 中文',
];

const link = (seq: number) => ({
  id: '019ab1c2-d3e4-7f00-8a00-0123456789ab',
  seq,
  prev: 'a'.repeat(64),
  device: { id: crypto.randomUUID(), keyId: 'b'.repeat(32) },
});
const consentTerms = (text: string) => ({
  kind: 'opt_in',
  subject: { source: 'self_entered', commitment: 'c'.repeat(64) },
  purpose: { id: 'offers', category: 'marketing' },
  notice: { id: 'n', version: '1', locale: 'en', text },
  channel: 'atm',
  entryPoint: 'atm.after_transaction',
  flowId: 'atm',
  capturedAt: '2026-11-25T12:00:00.000Z',
});
const deviceClock = { knownGood: false, bootId: crypto.randomUUID(), monoMs: 42 };
const statement = {
  statement: { v: 1, type: 'device_head', keyId: 'd'.repeat(32), deviceId: crypto.randomUUID(), head: { seq: 7, hash: 'e'.repeat(64) }, issuedAt: '2026-11-25T12:00:00.123Z' },
  sig: 'A'.repeat(86),
};

/** One body of every kind a chain holds, with `text` wherever free text goes. */
function bodiesWith(text: string): unknown[] {
  return [
    { v: 1, ...link(1), ...consentTerms(text), business: { name: text.slice(0, 100), whatsappNumber: '+81312345678' }, clock: { knownGood: true } },
    { v: 2, type: 'consent', ...link(2), ...consentTerms(text), business: { id: 'bank', name: text.slice(0, 100), whatsappNumber: '+81312345678' }, clock: deviceClock },
    { v: 2, type: 'clock_observation', ...link(3), capturedAt: '2026-11-25T12:00:01.000Z', clock: deviceClock, statement, sent: { at: '2026-11-25T12:00:00.000Z', monoMs: 40 }, received: { at: '2026-11-25T12:00:00.200Z', monoMs: 41 } },
    { v: 2, type: 'key_rotation', ...link(4), capturedAt: '2026-11-25T12:00:02.000Z', clock: deviceClock, next: { keyId: 'f'.repeat(32), publicKey: 'B'.repeat(43) }, reason: 'technician' },
  ];
}

describe('the compiled canonical writer', () => {
  it('writes the exact bytes canonicalize writes for every kind of chain event, so signatures verify as the kiosk made them', () => {
    for (const text of awkwardTexts) {
      for (const raw of bodiesWith(text)) {
        const body = ChainEventBody.parse(raw);
        expect(canonicalEventBody(body)).toBe(canonicalJson(raw));
        expect(canonicalEventBody({ ...body, sig: 'x' } as never)).toBe(canonicalJson(raw));
      }
    }
  });

  it('writes API statements as canonicalize does, the bytes the API signs', () => {
    expect(canonicalApiStatement(statement.statement as never)).toBe(canonicalJson(statement.statement));
    const empty = { ...statement.statement, head: null };
    expect(canonicalApiStatement(empty as never)).toBe(canonicalJson(empty));
  });

  it('writes openings with and without a customer reference as canonicalize does', () => {
    const salt = 'AAAAAAAAAAAAAAAAAAAAAA';
    for (const opening of [{ phone: '+819012345678', salt }, { phone: '+819012345678', customerRef: awkwardTexts[1]!, salt }]) {
      expect(canonicalOpening(SubjectOpening.parse(opening))).toBe(canonicalJson(opening));
    }
  });
});

describe('free text that RFC 8785 cannot canonicalise', () => {
  it.each(['\ud800', '\udfff', 'ok \ud83d alone'])('is refused wherever it is signed or committed to (%j)', (lone) => {
    for (const raw of bodiesWith(`Bank ${lone}`).slice(0, 2)) expect(ChainEventBody.safeParse(raw).success).toBe(false);
    expect(SubjectOpening.safeParse({ phone: '+819012345678', customerRef: `ref ${lone}`, salt: 'AAAAAAAAAAAAAAAAAAAAAA' }).success).toBe(false);
    const issues = Profile.shape.version.safeParse(`v${lone}`).error?.issues ?? [];
    expect(issues.map((issue) => issue.message)).toContain('must be well-formed Unicode (no lone surrogates)');
  });
});
