import type Database from 'better-sqlite3';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { eventsAndOutbox } from './migrations/0001-events-and-outbox.ts';
import { funnelCounters } from './migrations/0002-funnel-counters.ts';
import { acceptedCountsFromEvents } from './migrations/0003-accepted-counts-from-events.ts';
import { deviceKeysAndClock } from './migrations/0004-device-keys-and-clock.ts';
import { syncStateWithoutPendingRows } from './migrations/0005-sync-state-without-pending-rows.ts';

export type Migration = { version: number; name: string; sql: string };

/** In order; a migration is never edited once shipped, only followed by a new one. */
export const MIGRATIONS: readonly Migration[] = [
  eventsAndOutbox,
  funnelCounters,
  acceptedCountsFromEvents,
  deviceKeysAndClock,
  syncStateWithoutPendingRows,
];
export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the schema up to `target`, each step in its own transaction so a crash leaves a whole version. */
export function migrate(db: Database.Database, target = LATEST_SCHEMA_VERSION): number {
  const current = schemaVersion(db);
  if (current > LATEST_SCHEMA_VERSION) {
    throw new KioskFailure(
      'storage_unavailable',
      `The ledger has schema version ${current}, newer than this kiosk software understands (${LATEST_SCHEMA_VERSION}).`,
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > target) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return schemaVersion(db);
}
