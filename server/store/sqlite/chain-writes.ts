import { EVENT_COLUMNS, SELECT_HEAD, SELECT_LOCKED_DEVICE, TIME_COLUMNS, lockedDevice, type ChainHead, type ChainWrites, type LockedDeviceRow } from '../chain-writes.ts';
import type { SqlTx } from '../sql.ts';

const INSERT_EVENT = `INSERT INTO events (${EVENT_COLUMNS.map((c) => c.name).join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`;
const INSERT_TIME = `INSERT INTO event_times (${TIME_COLUMNS.map((c) => c.name).join(', ')}) VALUES (${TIME_COLUMNS.map(() => '?').join(', ')})`;
// An erased subject's commitment is never given an opening again.
const INSERT_SUBJECT = `INSERT OR IGNORE INTO subjects (commitment, opening, phone_key)
  SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM erased_subjects WHERE commitment = ?)`;

/**
 * SQLite writes each row as it comes, with a prepared statement: one writer holds the database for the whole
 * transaction (`BEGIN IMMEDIATE`), so there is nothing to lock, and the insert itself says whether the id was held.
 */
export function sqliteChainWrites(tx: SqlTx): ChainWrites {
  return {
    tx,
    async lockDevice(deviceId) {
      const row = await tx.get<LockedDeviceRow>(SELECT_LOCKED_DEVICE, [deviceId]);
      return row && lockedDevice(row, await tx.get<ChainHead>(SELECT_HEAD, [deviceId]));
    },
    insertEvent: async (row) => (await tx.run(INSERT_EVENT, row)).changes === 1,
    insertSubject: async (commitment, opening, phoneKey) => {
      await tx.run(INSERT_SUBJECT, [commitment, opening, phoneKey, commitment]);
    },
    insertTime: async (row) => {
      await tx.run(INSERT_TIME, row);
    },
    flush: async () => {},
  };
}
