import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchChanges, StoredConsent } from '../../../server/store/consent-states.ts';
import type { SqlTx } from '../../../server/store/sql.ts';
import { TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-server.ts';
import { STORE } from './test-store.ts';

// What the current-state upkeep costs a batch. Its answers are compared with resolution from history over random
// histories (consent-state-table.test.ts); this is the other half of its design: a number whose older decisions did
// not change is not recomputed from its history, only the winners that changed are written, and a batch with
// nothing to count reads nothing (the upkeep runs inside every ingest transaction, which holds the writer).

const PHONE = '+819012345678';
const OFFERS = { id: 'offers', category: 'marketing' } as const;
const NEWS = { id: 'news', category: 'marketing' } as const;

let clock: TestClock;
let api: TestServer;
beforeAll(async () => {
  clock = new TestClock();
  api = await startTestServer({ now: clock.date });
}, 60_000);
afterAll(() => api.stop());

/** The statements a call runs on its transaction: each SQL text's first words, and each row insert with its row count. */
function recording(tx: SqlTx): { tx: SqlTx; statements: string[] } {
  const statements: string[] = [];
  const note = (sql: string) => statements.push(sql.trim().split(/\s+/).slice(0, 3).join(' '));
  return {
    statements,
    tx: {
      all: (sql, params) => (note(sql), tx.all(sql, params)),
      get: (sql, params) => (note(sql), tx.get(sql, params)),
      value: (sql, params) => (note(sql), tx.value(sql, params)),
      run: (sql, params) => (note(sql), tx.run(sql, params)),
      insertRows: (spec, rows) => (statements.push(`INSERT ${spec.table} × ${rows.length}`), tx.insertRows(spec, rows)),
      lock: (keys) => tx.lock(keys),
    },
  };
}

/** recordBatch for these changes in a transaction of the test API's store, and the statements it ran. */
async function upkeep(changes: BatchChanges): Promise<string[]> {
  const { store } = api.server;
  return store.db.transaction(async (tx) => {
    const recorded = recording(tx);
    await store.states.recordBatch(recorded.tx, changes);
    return recorded.statements;
  });
}

const storedConsents = (deviceId: string): Promise<StoredConsent[]> =>
  api.server.store.db.all<StoredConsent>(
    `SELECT id AS "eventId", seq, kind, purpose_id AS "purposeId", purpose_category AS category, business_id AS "businessId", commitment
     FROM events WHERE device_id = ? AND type = 'consent' ORDER BY seq`,
    [deviceId],
  );

describe(`the current-state upkeep of a batch (${STORE})`, () => {
  it('adds a decision without recomputing its number, writes only the winners that changed, and reads nothing more for a batch with nothing to count or an erased subject', async () => {
    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    await api.ingest(credential, [kiosk.event({ phone: PHONE, purpose: OFFERS })]);
    await api.ingest(credential, [kiosk.event({ phone: PHONE, purpose: NEWS })]);
    const [offers, news] = await storedConsents(kiosk.deviceId);
    const { store } = api.server;
    const table = () => store.db.all<{ eventId: string }>('SELECT event_id AS "eventId" FROM consent_state WHERE phone_key = ? ORDER BY purpose_id', [store.lookup(PHONE)]);
    const standing = [{ eventId: news!.eventId }, { eventId: offers!.eventId }];
    expect(await table()).toEqual(standing);

    // the second batch once more, its opening with it (a capture of one event): the number's older decisions did not
    // change, so it is not recomputed from history, and its winners stand, so nothing is written
    const again = await upkeep({ deviceId: kiosk.deviceId, consents: [news!], openings: new Set([news!.commitment]), corrected: [] });
    expect(again.filter((statement) => statement.startsWith('DELETE'))).toEqual([]);
    expect(again.filter((statement) => statement.startsWith('INSERT'))).toEqual(['INSERT consent_state × 0']);

    // a correction of a range that holds no consent (an observation placing only service events): one look for the
    // consents it moved, nothing more
    const corrected = [{ afterSeq: news!.seq, beforeSeq: news!.seq + 5 }];
    expect(await upkeep({ deviceId: kiosk.deviceId, consents: [], openings: new Set(), corrected })).toEqual(['SELECT DISTINCT s.phone_key']);

    // nobody to recompute
    const empty = await store.db.transaction(async (tx) => {
      const recorded = recording(tx);
      await store.states.refreshKiosk(recorded.tx, []);
      await store.states.refreshPreferences(recorded.tx, []);
      return recorded.statements;
    });
    expect(empty).toEqual([]);
    expect(await table()).toEqual(standing);

    // an erased subject's event sent again with its opening: the opening is not stored again, so there is no number
    // to count it for, and nothing else to read
    expect((await api.post('/v1/admin/subjects/erase', { phone: PHONE }, ADMIN_TOKEN)).status).toBe(200);
    expect(await table()).toEqual([]);
    expect(await upkeep({ deviceId: kiosk.deviceId, consents: [news!], openings: new Set([news!.commitment]), corrected: [] })).toEqual(['SELECT commitment, phone_key']);
  });
});
