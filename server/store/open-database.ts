import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from './migrate.ts';
import { migrations } from './migrations/index.ts';

export const DATABASE_FILE = 'consent-api.sqlite';

/**
 * Opens (creating if needed) the server's database in `dataDir`. WAL with synchronous=FULL: a commit is on disk
 * before the server answers, which is what "accepted" promises the kiosk.
 */
export function openDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Ingest commits a whole batch at once; larger caches and rarer checkpoints keep those commits to one WAL fsync.
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 4000');
    const mode = db.pragma('journal_mode', { simple: true });
    const sync = db.pragma('synchronous', { simple: true });
    if (mode !== 'wal' || sync !== 2) throw new Error(`database durability settings not applied (journal_mode=${String(mode)}, synchronous=${String(sync)})`);
    migrate(db, migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
