import type Database from 'better-sqlite3';
import { withStorageErrors } from './storage-errors.ts';

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * Erases the subject openings (phone, customer reference, salt) of events the central API confirmed more than
 * `retentionDays` ago. The signed rows stay, so signatures and the chain still verify; only the link to a person
 * goes. Pending and dead events keep their opening: they have not reached the system of record yet.
 */
export function purgeOpenings(db: Database.Database, now: Date, retentionDays: number): number {
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  return withStorageErrors(() => {
    const erased = db
      .prepare(
        `UPDATE events SET opening = NULL WHERE opening IS NOT NULL AND seq IN
         (SELECT seq FROM sync_state WHERE state = 'synced' AND synced_at <= ?)`,
      )
      .run(cutoff).changes;
    // secure_delete zeroes the pages; a truncating checkpoint also drops the WAL frames that still hold them.
    if (erased > 0) db.pragma('wal_checkpoint(TRUNCATE)');
    return erased;
  });
}
