import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, type MigrationContext } from './migrate.ts';
import { migrations } from './migrations/index.ts';
import { sqliteDriver, type SqliteDb } from './driver.ts';

export const DATABASE_FILE = 'consent-api.sqlite';

/**
 * The data directory, readable by the server's user only (0700), created if needed and tightened if an earlier
 * version left it open. Its key files and database files are 0600.
 */
export function prepareDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}

/**
 * The database file exists 0600 before SQLite opens it: SQLite creates its -wal and -shm files with the main
 * file's permissions. Files an earlier version created world-readable are tightened.
 */
function createPrivately(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) if (existsSync(file)) chmodSync(file, 0o600);
}

/** Refuses a database sealed with another data key: opening it would mix ciphertexts under two keys. */
function checkDataKey(db: Database.Database, keyId: string): void {
  if ((db.pragma('user_version', { simple: true }) as number) === 0) return;
  const held = db.prepare(`SELECT value FROM meta WHERE key = 'data_key_id'`).pluck().get() as string | undefined;
  if (held !== undefined && held !== keyId) {
    throw new Error(`the data key (id ${keyId}) is not the one this database was sealed with (id ${held}); configure that key`);
  }
}

function connect(path: string): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // What is deleted (an erased opening, the clear columns a migration replaces) is overwritten, not left in free pages.
    db.pragma('secure_delete = ON');
    // Ingest commits a whole batch at once; larger caches and rarer checkpoints keep those commits to one WAL fsync.
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 4000');
    const mode = db.pragma('journal_mode', { simple: true });
    const sync = db.pragma('synchronous', { simple: true });
    if (mode !== 'wal' || sync !== 2) throw new Error(`database durability settings not applied (journal_mode=${String(mode)}, synchronous=${String(sync)})`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens (creating if needed) the server's database in `dataDir`, migrated to the latest version. WAL with
 * synchronous=FULL: a commit is on disk before the server answers, which is what "accepted" promises the kiosk.
 */
export function openDatabase(dataDir: string, context: MigrationContext): SqliteDb {
  prepareDataDir(dataDir);
  const path = join(dataDir, DATABASE_FILE);
  createPrivately(path);
  const writer = connect(path);
  try {
    checkDataKey(writer, context.dataKey.keyId);
    const before = writer.pragma('user_version', { simple: true }) as number;
    migrate(writer, migrations, context);
    writer.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('data_key_id', ?)`).run(context.dataKey.keyId);
    // the WAL would otherwise keep the pages the migrations replaced (clear personal data among them) until reused
    if (before > 0 && before < migrations.at(-1)!.version) writer.pragma('wal_checkpoint(TRUNCATE)');
    const reader = connect(path);
    reader.pragma('query_only = ON');
    return sqliteDriver(writer, reader);
  } catch (error) {
    writer.close();
    throw error;
  }
}
