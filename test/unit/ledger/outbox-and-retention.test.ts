import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../../electron/ledger/ledger.ts';
import { commitmentOf } from '../../../electron/ledger/personal-data.ts';
import { IngestItem } from '../../../shared/contract/sync.ts';
import { consentFor, draft, freshLedger, manualClock, pendingConsents, PHONE_DIGITS, tamper, terms } from './fixtures.ts';

const open: Ledger[] = [];
function ledgerWith(clock = manualClock()) {
  const made = freshLedger({ clock });
  open.push(made.ledger);
  return { ...made, clock };
}
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
});

describe('the outbox', () => {
  it('hands out pending events in sequence order, a bounded batch at a time', () => {
    const { ledger } = ledgerWith();
    for (let i = 0; i < 3; i += 1) ledger.capture(draft(), terms);
    expect(ledger.readOutbox(4).map((item) => item.event.seq)).toEqual([1, 2, 3, 4]);
    expect(ledger.readOutbox(100)).toHaveLength(6);
    expect(ledger.readOutbox(2, 4).map((item) => item.event.seq)).toEqual([5, 6]);
  });

  it('moves accepted and duplicate events to synced and a rejected one to dead without blocking the rest', () => {
    const { ledger } = ledgerWith();
    ledger.capture(draft(), terms);
    ledger.capture(draft(), terms);
    const [a, b, c] = ledger.readOutbox(3).map((item) => item.event.id);
    ledger.applySyncResults([
      { id: a!, status: 'accepted' },
      { id: b!, status: 'rejected', reason: 'signature does not verify' },
      { id: c!, status: 'duplicate' },
    ]);
    expect(ledger.status().outbox).toEqual({ pending: 1, synced: 2, dead: 1 });
    expect(ledger.readOutbox(10).map((item) => item.event.seq)).toEqual([4]);
    const dead = [...ledger.exportRecords({ personalData: false })].find((record) => record.record === 'event' && record.event.id === b);
    expect(dead).toMatchObject({ sync: { state: 'dead' } });
  });

  it('marks only the acknowledged events synced when the answers skip one', () => {
    const { ledger } = ledgerWith();
    ledger.capture(draft(), terms);
    ledger.capture(draft(), terms);
    const [a, b, c, d] = ledger.readOutbox(4).map((item) => item.event.id);
    ledger.applySyncResults([
      { id: d!, status: 'accepted' },
      { id: a!, status: 'duplicate' },
      { id: c!, status: 'accepted' },
    ]);
    expect(ledger.readOutbox(10).map((item) => item.event.id)).toEqual([b]);
    expect(ledger.status().outbox).toEqual({ pending: 1, synced: 3, dead: 0 });
  });

  it('hands the sync worker each pending event as the JSON of the item the API is sent, opening included', () => {
    const { ledger } = ledgerWith();
    ledger.capture(draft(), terms);
    ledger.capture(draft({ subject: { source: 'self_entered', phone: '+819099998888' } }), terms);
    const wire = ledger.readOutboxJson(10, 1);
    expect(wire.map((item) => item.seq)).toEqual([2, 3, 4]);
    const items = wire.map((item) => IngestItem.parse(JSON.parse(item.json)));
    expect(items).toEqual(ledger.readOutbox(10, 1));
    expect(items.map((item) => item.event.id)).toEqual(wire.map((item) => item.id));
    expect(items.map((item) => item.subject?.phone)).toEqual(['+819012345678', '+819099998888', '+819099998888']);
    for (const [index, event] of pendingConsents(ledger, 10, 1).entries()) expect(commitmentOf(items[index]!.subject!)).toBe(event.subject.commitment);
  });

  it('counts failed attempts without changing what is pending', () => {
    const { ledger } = ledgerWith();
    ledger.capture(draft(), terms);
    const ids = ledger.readOutbox(10).map((item) => item.event.id);
    ledger.noteSyncFailure(ids, 'connect ECONNREFUSED 127.0.0.1:8787');
    ledger.noteSyncFailure(ids, 'connect ECONNREFUSED 127.0.0.1:8787');
    expect(ledger.status().outbox.pending).toBe(2);
    expect(ledger.readOutbox(10).map((item) => item.event.id)).toEqual(ids);
  });

  it('refuses malformed sync results and changes nothing', () => {
    const { ledger } = ledgerWith();
    ledger.capture(draft(), terms);
    const id = ledger.readOutbox(1)[0]!.event.id;
    expect(() =>
      ledger.applySyncResults([{ id, status: 'accepted' }, { id: 'nope', status: 'accepted' }] as never),
    ).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(ledger.status().outbox.pending).toBe(2);
  });

  it('lists the dead letters and sends them again once requeued, before the events after them', () => {
    const { ledger } = ledgerWith();
    ledger.capture(draft(), terms);
    ledger.capture(draft(), terms);
    const [a, b, c, d] = ledger.readOutbox(4).map((item) => item.event.id);
    ledger.applySyncResults([
      { id: a!, status: 'accepted' },
      { id: b!, status: 'rejected', reason: 'notice not approved' },
      { id: c!, status: 'accepted' },
      { id: d!, status: 'accepted' },
    ]);
    expect(ledger.readOutbox(10)).toEqual([]);
    expect(ledger.deadLetters(10)).toEqual([{ seq: 2, id: b, type: 'consent', reason: 'notice not approved', attempts: 0 }]);
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    expect(ledger.requeueDead()).toBe(1);
    expect(ledger.deadLetters(10)).toEqual([]);
    expect(ledger.status().outbox).toEqual({ pending: 2, synced: 3, dead: 0 });
    expect(ledger.readOutbox(10).map((item) => item.event.seq)).toEqual([2, 5]);
    ledger.applySyncResults([{ id: b!, status: 'accepted' }]);
    expect(ledger.readOutbox(10).map((item) => item.event.seq)).toEqual([5]);
    expect(ledger.lastSyncedSeq()).toBe(4);
  });

  it('keeps an event acknowledged after a later one pending, and counts it once the gap closes', () => {
    const { ledger, clock } = ledgerWith();
    ledger.capture(draft(), terms);
    clock.advanceDays(1);
    ledger.capture(draft(), terms);
    const [a, b, c, d] = ledger.readOutbox(4).map((item) => item.event.id);
    // the second batch in flight answered first
    ledger.applySyncResults([
      { id: c!, status: 'accepted' },
      { id: d!, status: 'accepted' },
    ]);
    expect(ledger.status()).toMatchObject({ outbox: { pending: 2, synced: 2, dead: 0 }, oldestPendingAgeMs: 86_400_000 });
    expect(ledger.readOutbox(10).map((item) => item.event.id)).toEqual([a, b]);
    ledger.applySyncResults([
      { id: a!, status: 'duplicate' },
      { id: b!, status: 'accepted' },
    ]);
    expect(ledger.status()).toMatchObject({ outbox: { pending: 0, synced: 4, dead: 0 }, oldestPendingAgeMs: null });
    expect(ledger.readOutbox(10)).toEqual([]);
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    expect(ledger.readOutbox(10).map((item) => item.event.seq)).toEqual([5]);
  });

  it('keeps syncing state out of the signed rows, so verify still passes', () => {
    const { ledger } = ledgerWith();
    ledger.capture(draft(), terms);
    ledger.applySyncResults(ledger.readOutbox(10).map((item) => ({ id: item.event.id, status: 'accepted' as const })));
    expect(ledger.verify()).toMatchObject({ ok: true, events: 2 });
  });
});

describe('retention', () => {
  it('erases the personal data of events synced more than 30 days ago and the chain still verifies', () => {
    const { ledger, clock, dataDir } = ledgerWith();
    ledger.capture(draft(), terms);
    ledger.applySyncResults(ledger.readOutbox(10).map((item) => ({ id: item.event.id, status: 'accepted' as const })));
    clock.advanceDays(10);
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    ledger.applySyncResults(ledger.readOutbox(10).map((item) => ({ id: item.event.id, status: 'accepted' as const })));
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);

    expect(ledger.purgePersonalData()).toBe(0);
    clock.advanceDays(25);
    expect(ledger.purgePersonalData()).toBe(2);

    const subjects = [...ledger.exportRecords({ personalData: true })].flatMap((record) =>
      record.record === 'event' ? [[record.event.seq, record.subject === null ? 'erased' : 'kept']] : [],
    );
    expect(subjects).toEqual([
      [1, 'erased'],
      [2, 'erased'],
      [3, 'kept'],
      [4, 'kept'],
    ]);
    expect(ledger.verify()).toMatchObject({ ok: true, events: 4, openingsChecked: 2 });
    for (const name of fs.readdirSync(dataDir).filter((file) => file.startsWith('ledger.sqlite'))) {
      expect(fs.readFileSync(path.join(dataDir, name)).includes(PHONE_DIGITS)).toBe(false);
    }
  });

  it('keeps the personal data of events not yet synced, however old', () => {
    const { ledger, clock } = ledgerWith();
    ledger.capture(draft(), terms);
    clock.advanceDays(400);
    expect(ledger.purgePersonalData()).toBe(0);
    expect(ledger.readOutbox(1)[0]?.subject?.phone).toBe('+819012345678');
  });
});

describe('funnel counters', () => {
  it('counts shown, declined and timed-out offers per flow, purpose, locale and day with no personal data', () => {
    const { ledger } = ledgerWith();
    ledger.recordFunnel({ flowId: 'atm-balance', purposeIds: ['balance_alerts', 'payment_notices'], locale: 'ja', outcome: 'shown' });
    ledger.recordFunnel({ flowId: 'atm-balance', purposeIds: ['balance_alerts', 'payment_notices'], locale: 'ja', outcome: 'declined' });
    ledger.recordFunnel({ flowId: 'atm-balance', purposeIds: [], locale: 'en', outcome: 'timed_out' });
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    expect(ledger.funnelCounts()).toEqual([
      { day: '2026-11-05', flowId: 'atm-balance', purposeId: '', locale: 'en', outcome: 'timed_out', count: 1 },
      { day: '2026-11-05', flowId: 'atm-balance', purposeId: 'balance_alerts', locale: 'ja', outcome: 'declined', count: 1 },
      { day: '2026-11-05', flowId: 'atm-balance', purposeId: 'balance_alerts', locale: 'ja', outcome: 'shown', count: 1 },
      { day: '2026-11-05', flowId: 'atm-balance', purposeId: 'offers', locale: 'en', outcome: 'accepted', count: 1 },
      { day: '2026-11-05', flowId: 'atm-balance', purposeId: 'payment_notices', locale: 'ja', outcome: 'declined', count: 1 },
      { day: '2026-11-05', flowId: 'atm-balance', purposeId: 'payment_notices', locale: 'ja', outcome: 'shown', count: 1 },
    ]);
    expect(ledger.status().outbox.pending).toBe(1);
  });

  it('counts each acceptance once, on the day it was captured, before and after later reports and a restart', () => {
    const { ledger, dataDir, clock } = ledgerWith();
    const accepted = (counts: ReturnType<Ledger['funnelCounts']>) =>
      counts.filter((count) => count.outcome === 'accepted').map(({ day, purposeId, count }) => [day, purposeId, count]);
    ledger.capture(draft(), terms);
    expect(accepted(ledger.funnelCounts())).toEqual([
      ['2026-11-05', 'balance_alerts', 1],
      ['2026-11-05', 'payment_notices', 1],
    ]);
    clock.advanceDays(1);
    ledger.recordFunnel({ flowId: 'atm-balance', purposeIds: ['balance_alerts'], locale: 'en', outcome: 'shown' });
    ledger.capture(draft({ consents: [consentFor(['balance_alerts'])] }), terms);
    const expected = [
      ['2026-11-05', 'balance_alerts', 1],
      ['2026-11-05', 'payment_notices', 1],
      ['2026-11-06', 'balance_alerts', 1],
    ];
    expect(accepted(ledger.funnelCounts())).toEqual(expected);
    ledger.close();
    open.splice(open.indexOf(ledger), 1);
    const { ledger: reopened } = freshLedger({ dataDir, clock });
    open.push(reopened);
    expect(accepted(reopened.funnelCounts())).toEqual(expected);
    reopened.recordFunnel({ flowId: 'atm-balance', purposeIds: ['balance_alerts'], locale: 'en', outcome: 'shown' });
    expect(accepted(reopened.funnelCounts())).toEqual(expected);
  });

  it('keeps acceptance counts exact across the bulk fold a long run of captures triggers', () => {
    const { ledger } = ledgerWith();
    for (let capture = 0; capture < 520; capture += 1) ledger.capture(draft(), terms);
    expect(ledger.funnelCounts().map(({ purposeId, outcome, count }) => [purposeId, outcome, count])).toEqual([
      ['balance_alerts', 'accepted', 520],
      ['payment_notices', 'accepted', 520],
    ]);
  });

  it('still opens a ledger whose bodies were edited into something else, and leaves them to verify', () => {
    const { ledger, dataDir, clock } = ledgerWith();
    ledger.capture(draft(), terms);
    ledger.close();
    open.splice(open.indexOf(ledger), 1);
    tamper(dataDir, `UPDATE events SET body = '{"v":1}' WHERE seq = 1; UPDATE events SET body = 'not json' WHERE seq = 2`);
    const { ledger: reopened } = freshLedger({ dataDir, clock });
    open.push(reopened);
    expect(reopened.funnelCounts()).toEqual([]);
    expect(reopened.verify()).toMatchObject({ ok: false });
  });

  it('refuses a report that claims acceptance, which only a capture can record', () => {
    const { ledger } = ledgerWith();
    expect(() => ledger.recordFunnel({ flowId: 'atm-balance', purposeIds: [], locale: 'en', outcome: 'accepted' } as never)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(ledger.funnelCounts()).toEqual([]);
  });
});
