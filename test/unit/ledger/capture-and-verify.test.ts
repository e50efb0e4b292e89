import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../../shared/contract/consent-event.ts';
import { canonicalJson } from '../../../shared/event-bytes.ts';
import { commitmentOf } from '../../../electron/ledger/personal-data.ts';
import type { Ledger } from '../../../electron/ledger/ledger.ts';
import { ledgerPath } from '../../../electron/ledger/open-database.ts';
import { consentFor, draft, freshLedger, manualClock, pendingConsents, PHONE_DIGITS, terms } from './fixtures.ts';

const open: Ledger[] = [];
function ledgerInTemp(options: Parameters<typeof freshLedger>[0] = {}) {
  const made = freshLedger(options);
  open.push(made.ledger);
  return made;
}
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
});

function eventCount(dataDir: string): number {
  const db = new Database(ledgerPath(dataDir), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('capturing a consent', () => {
  it('records one signed, chained event per purpose and verifies intact', () => {
    const { ledger } = ledgerInTemp({ clock: manualClock() });
    const result = ledger.capture(draft(), terms);
    expect(result.events.map((event) => [event.seq, event.purposeId])).toEqual([
      [1, 'balance_alerts'],
      [2, 'payment_notices'],
    ]);
    expect(ledger.readOutbox(10)).toHaveLength(2);
    const [first, second] = pendingConsents(ledger);
    expect(first?.prev).toBe(GENESIS_HASH);
    expect(first?.notice.text).toBe(
      'I agree to receive balance alerts and payment notices from Sakura Bank on WhatsApp (+81 3 1234 5678).',
    );
    expect(first).toMatchObject({ v: 2, type: 'consent', business: { id: 'sakura-bank', name: 'Sakura Bank' } });
    expect(first?.capturedAt).toBe('2026-11-05T09:30:00.000Z');
    expect(second?.prev).not.toBe(GENESIS_HASH);
    expect(ledger.verify()).toMatchObject({ ok: true, events: 2, openingsChecked: 2 });
  });

  it('commits to the subject without putting the phone number in the signed body', () => {
    const { ledger } = ledgerInTemp();
    ledger.capture(draft({ subject: { source: 'host_verified', phone: '+819012345678', customerRef: 'cust-42' } }), terms);
    const [item] = ledger.readOutbox(1);
    const [event] = pendingConsents(ledger, 1);
    expect(item?.subject).toMatchObject({ phone: '+819012345678', customerRef: 'cust-42' });
    expect(JSON.stringify(item?.event)).not.toContain(PHONE_DIGITS);
    expect(event?.subject).toEqual({ source: 'host_verified', commitment: commitmentOf(item!.subject!) });
  });

  it('records an opt-out as an event of its own kind with the opt-out sentence', () => {
    const { ledger } = ledgerInTemp();
    ledger.capture(draft(), terms);
    ledger.capture(draft({ kind: 'opt_out', consents: [consentFor(['balance_alerts'], 'opt_out')] }), terms);
    const events = pendingConsents(ledger);
    expect(events.map((event) => event.kind)).toEqual(['opt_in', 'opt_in', 'opt_out']);
    expect(events[2]?.notice.text).toBe('Stop sending me balance alerts from Sakura Bank on WhatsApp.');
    expect(ledger.verify().ok).toBe(true);
  });

  it('keeps marketing as a separate consent with its own events', () => {
    const { ledger } = ledgerInTemp();
    const result = ledger.capture(draft({ consents: [consentFor(['balance_alerts']), consentFor(['offers'])] }), terms);
    expect(result.events.map((event) => event.purposeId)).toEqual(['balance_alerts', 'offers']);
    expect(pendingConsents(ledger).map((event) => event.purpose.category)).toEqual(['utility', 'marketing']);
  });

  it('gives events ids whose time is the capture time and whose order is the chain order', () => {
    const { ledger } = ledgerInTemp({ clock: manualClock() });
    ledger.capture(draft(), terms);
    ledger.capture(draft(), terms);
    const events = ledger.readOutbox(10).map((item) => item.event);
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4]);
    expect([...events.map((event) => event.id)].sort()).toEqual(events.map((event) => event.id));
    for (const event of events) {
      const millis = parseInt(event.id.replace(/-/g, '').slice(0, 12), 16);
      expect(new Date(millis).toISOString()).toBe(event.capturedAt);
    }
  });

  it('stores bodies as the exact canonical bytes that were signed', () => {
    const { ledger, dataDir } = ledgerInTemp();
    ledger.capture(draft(), terms);
    const db = new Database(ledgerPath(dataDir), { readonly: true });
    const row = db.prepare('SELECT body FROM events WHERE seq = 1').get() as { body: string };
    db.close();
    const { sig: _sig, ...body } = ledger.readOutbox(1)[0]!.event;
    expect(row.body).toBe(canonicalJson(body));
  });

  it('reports device, key, outbox and chain head in status', () => {
    const clock = manualClock();
    const { ledger } = ledgerInTemp({ clock });
    expect(ledger.status()).toMatchObject({ schemaVersion: 5, outbox: { pending: 0, synced: 0, dead: 0 }, chainHead: null });
    ledger.capture(draft(), terms);
    clock.advanceDays(1);
    const status = ledger.status();
    expect(status.keyId).toMatch(/^[0-9a-f]{32}$/);
    expect(status.outbox.pending).toBe(2);
    expect(status.oldestPendingAgeMs).toBe(86_400_000);
    expect(status.chainHead?.seq).toBe(2);
  });

  it('keeps the same device id and chain across restarts', () => {
    const { ledger, dataDir } = ledgerInTemp();
    ledger.capture(draft(), terms);
    const deviceId = ledger.deviceId;
    ledger.close();
    open.pop();
    const { ledger: reopened } = ledgerInTemp({ dataDir });
    expect(reopened.deviceId).toBe(deviceId);
    expect(reopened.capture(draft(), terms).events[0]?.seq).toBe(3);
    expect(reopened.verify()).toMatchObject({ ok: true, events: 4 });
  });

  it('leaves no trace of the phone number in the database files', () => {
    const { ledger, dataDir } = ledgerInTemp();
    for (let i = 0; i < 5; i += 1) ledger.capture(draft(), terms);
    const files = fs.readdirSync(dataDir).filter((name) => name.startsWith('ledger.sqlite'));
    expect(files).toContain('ledger.sqlite-wal');
    for (const name of files) {
      const bytes = fs.readFileSync(path.join(dataDir, name));
      expect(bytes.includes(PHONE_DIGITS), name).toBe(false);
      expect(bytes.includes(Buffer.from(PHONE_DIGITS, 'utf16le')), name).toBe(false);
    }
  });
});

describe('refusing bad drafts', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a draft of the wrong shape', { ...draft(), kind: 'maybe' }, 'invalid_request'],
    ['a phone number that is not a string', { ...draft(), subject: { source: 'self_entered', phone: 9012345678 } }, 'invalid_request'],
    ['an unknown field', { ...draft(), extra: true }, 'invalid_request'],
    ['a landline', draft({ subject: { source: 'self_entered', phone: '03-1234-5678', country: 'JP' } }), 'invalid_phone'],
    ['a purpose the profile does not define', draft({ consents: [{ purposeIds: ['lottery'], shownText: 'x' }] }), 'unknown_purpose'],
    [
      'marketing bundled into a utility consent',
      draft({ consents: [{ purposeIds: ['balance_alerts', 'offers'], shownText: 'x' }] }),
      'bundled_marketing',
    ],
    ['an oversized customer reference', draft({ subject: { source: 'host_verified', phone: '+819012345678', customerRef: 'x'.repeat(129) } }), 'invalid_request'],
    ['an oversized sentence', draft({ consents: [{ purposeIds: ['balance_alerts'], shownText: 'x'.repeat(2001) }] }), 'invalid_request'],
    ['a sentence that differs from the notice', draft({ consents: [{ purposeIds: ['balance_alerts'], shownText: 'I agree to everything.' }] }), 'notice_mismatch'],
    ['the same purpose in two consents', draft({ consents: [consentFor(['balance_alerts']), consentFor(['balance_alerts'])] }), 'invalid_request'],
  ];

  it.each(cases)('refuses %s with a typed error and writes nothing', (_name, input, code) => {
    const { ledger, dataDir } = ledgerInTemp();
    expect(() => ledger.capture(input as never, terms)).toThrow(expect.objectContaining({ code }));
    expect(eventCount(dataDir)).toBe(0);
    expect(ledger.status().outbox.pending).toBe(0);
    expect(ledger.funnelCounts()).toEqual([]);
  });

  it('never puts the phone number in an error message', () => {
    const { ledger } = ledgerInTemp();
    try {
      ledger.capture(draft({ subject: { source: 'self_entered', phone: '03-1234-5678', country: 'JP' } }), terms);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('1234');
    }
    expect.assertions(1);
  });
});
