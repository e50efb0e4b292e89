import { EVENT_COLUMNS, SELECT_HEAD, SELECT_LOCKED_DEVICE, TIME_COLUMNS, lockedDevice, type ChainHead, type ChainWrites, type LockedDeviceRow } from '../chain-writes.ts';
import { RetryTransaction, type SqlTx } from '../sql.ts';

const columns = EVENT_COLUMNS.map((c) => c.name).join(', ');
const INSERT_EVENTS = `INSERT INTO events (${columns}) SELECT * FROM unnest(${EVENT_COLUMNS.map((c) => `CAST(? AS ${c.type}[])`).join(', ')})
  ON CONFLICT (id) DO NOTHING RETURNING id`;
// An erased subject's commitment is never given an opening again.
const INSERT_SUBJECTS = `INSERT INTO subjects (commitment, opening, phone_key)
  SELECT c, o, p FROM unnest(CAST(? AS text[]), CAST(? AS bytea[]), CAST(? AS text[])) AS u(c, o, p)
  WHERE NOT EXISTS (SELECT 1 FROM erased_subjects e WHERE e.commitment = u.c) ON CONFLICT (commitment) DO NOTHING`;
const BUFFERED = /\b(events|subjects|event_times)\b/;

const columnsOf = (rows: readonly (readonly unknown[])[], width: number): unknown[][] => Array.from({ length: width }, (_, i) => rows.map((row) => row[i]));

/**
 * PostgreSQL writes a batch's rows in three statements (events, openings, times, each one `unnest` of arrays)
 * instead of three round trips per event. Which ids are held already is read once, after the device is locked;
 * an id another device's transaction inserted meanwhile is found by the insert (`RETURNING`) and makes the whole
 * transaction run again. A statement that reads a buffered table sends the buffers first.
 */
export function postgresChainWrites(inner: SqlTx, batchIds: readonly string[]): ChainWrites {
  let events: (readonly unknown[])[] = [];
  let subjects: (readonly unknown[])[] = [];
  let times: (readonly unknown[])[] = [];
  const held = new Set<string>();
  const reads = new Map<string, boolean>();

  async function flush(): Promise<void> {
    const [e, s, t] = [events, subjects, times];
    events = [];
    subjects = [];
    times = [];
    if (e.length > 0 && (await inner.all(INSERT_EVENTS, columnsOf(e, EVENT_COLUMNS.length))).length !== e.length) {
      throw new RetryTransaction('an event id was stored by another transaction meanwhile');
    }
    if (s.length > 0) await inner.run(INSERT_SUBJECTS, columnsOf(s, 3));
    await inner.insertRows({ table: 'event_times', columns: TIME_COLUMNS }, t);
  }

  const readsBuffered = (sql: string): boolean => {
    let found = reads.get(sql);
    if (found === undefined) reads.set(sql, (found = BUFFERED.test(sql)));
    return found;
  };
  const before = async (sql: string): Promise<void> => {
    if (events.length + subjects.length + times.length > 0 && readsBuffered(sql)) await flush();
  };

  const tx: SqlTx = {
    all: async (sql, params) => (await before(sql), inner.all(sql, params)),
    get: async (sql, params) => (await before(sql), inner.get(sql, params)),
    value: async (sql, params) => (await before(sql), inner.value(sql, params)),
    run: async (sql, params) => (await before(sql), inner.run(sql, params)),
    insertRows: inner.insertRows,
    lock: inner.lock,
  };

  return {
    tx,
    async lockDevice(deviceId) {
      // the lock first, on its own: a statement that waited for it reads the other transaction's commit only if it
      // starts after the wait (READ COMMITTED takes a snapshot per statement)
      const row = await inner.get<LockedDeviceRow>(`${SELECT_LOCKED_DEVICE} FOR UPDATE`, [deviceId]);
      if (!row) return undefined;
      const head = await inner.get<ChainHead>(SELECT_HEAD, [deviceId]);
      for (const id of await inner.all<{ id: string }>('SELECT id FROM events WHERE id = ANY(CAST(? AS text[]))', [batchIds])) held.add(id.id);
      return lockedDevice(row, head);
    },
    async insertEvent(row) {
      const id = row[0] as string;
      if (held.has(id)) return false;
      held.add(id);
      events.push(row);
      return true;
    },
    insertSubject: async (commitment, opening, phoneKey) => {
      subjects.push([commitment, opening, phoneKey]);
    },
    insertTime: async (row) => {
      times.push(row);
    },
    flush,
  };
}
