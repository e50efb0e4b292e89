import type Database from 'better-sqlite3';
import type { DataKey } from '../../keys/data-key.ts';

/** What a migration may need beyond the database: settings its derived columns use, the key personal data is sealed with. */
export interface MigrationContext {
  clockToleranceMs: number;
  dataKey: DataKey;
}

export interface Migration {
  version: number;
  name: string;
  up: (db: Database.Database, context: MigrationContext) => void;
}

/** Applies every migration newer than `PRAGMA user_version`, each in its own transaction with its version bump. */
export function migrate(db: Database.Database, migrations: readonly Migration[], context: MigrationContext): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this server (${latest}); refusing to start`);
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      migration.up(db, context);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return latest;
}
