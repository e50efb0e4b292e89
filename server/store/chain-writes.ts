import type { InsertColumn, SqlTx } from './sql.ts';

export interface ChainHead {
  seq: number;
  hash: string;
}

/** The device row as the ingest transaction found it once it held the device, and the chain held for it then. */
export interface LockedDevice {
  keyId: string;
  businessIds: string | null;
  credentialHash: string;
  revokedAt: string | null;
  /** Highest seq s such that 1..s are all stored. */
  contiguous: ChainHead | null;
  /** Highest stored event. */
  head: ChainHead | null;
}

/**
 * The storage one ingest transaction writes through. The per-event rows (event, opening, time) go through here,
 * so each store writes them its fastest way — SQLite a prepared statement per row, PostgreSQL one multi-row
 * statement per table, sent before anything reads those tables and before the commit; every other statement goes
 * to `tx` directly.
 */
export interface ChainWrites {
  tx: SqlTx;
  /** Holds the device until the transaction ends (PostgreSQL: its row locked), so one device's batches store one at a time. */
  lockDevice(deviceId: string): Promise<LockedDevice | undefined>;
  /** False when an event with this id is held already (stored earlier, or earlier in this batch). */
  insertEvent(row: readonly unknown[]): Promise<boolean>;
  /** An opening (sealed), unless one is held for the commitment or it was erased. */
  insertSubject(commitment: string, opening: Buffer, phoneKey: string): Promise<void>;
  insertTime(row: readonly unknown[]): Promise<void>;
  /** Everything written so far is in the database (before the commit, and before what reads it). */
  flush(): Promise<void>;
}

const text = (name: string): InsertColumn => ({ name, type: 'text' });
const bigint = (name: string): InsertColumn => ({ name, type: 'bigint' });

export const EVENT_COLUMNS: readonly InsertColumn[] = [
  text('id'), text('device_id'), bigint('seq'), text('prev'), text('hash'), text('key_id'), text('type'), text('kind'), text('commitment'),
  text('business_id'), text('purpose_id'), text('purpose_category'), text('body'), text('sig'),
];

export const TIME_COLUMNS: readonly InsertColumn[] = [
  text('device_id'), bigint('seq'), text('boot_id'), bigint('mono_ms'), bigint('captured_ms'), bigint('known_good'), bigint('received_ms'),
  bigint('earliest_ms'), bigint('latest_ms'), bigint('placed_by_seq'), bigint('place_issued_ms'), bigint('place_mono_ms'),
  bigint('offset_by_seq'), bigint('offset_ms'), bigint('tolerance_ms'),
];

export const SELECT_LOCKED_DEVICE = `SELECT key_id AS "keyId", business_ids AS "businessIds", credential_hash AS "credentialHash", revoked_at AS "revokedAt",
  contiguous_seq AS "contiguousSeq", contiguous_hash AS "contiguousHash" FROM devices WHERE id = ?`;
export const SELECT_HEAD = 'SELECT seq, hash FROM events WHERE device_id = ? ORDER BY seq DESC LIMIT 1';

export interface LockedDeviceRow {
  keyId: string;
  businessIds: string | null;
  credentialHash: string;
  revokedAt: string | null;
  contiguousSeq: number;
  contiguousHash: string | null;
}

export const lockedDevice = (row: LockedDeviceRow, head: ChainHead | undefined): LockedDevice => ({
  keyId: row.keyId,
  businessIds: row.businessIds,
  credentialHash: row.credentialHash,
  revokedAt: row.revokedAt,
  contiguous: row.contiguousSeq > 0 && row.contiguousHash !== null ? { seq: row.contiguousSeq, hash: row.contiguousHash } : null,
  head: head ?? null,
});
