import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { withStorageErrors } from './storage-errors.ts';

export const LEDGER_FILE = 'ledger.sqlite';

export function ledgerPath(dataDir: string): string {
  return path.join(dataDir, LEDGER_FILE);
}

/**
 * Opens the ledger file with the settings that make "committed" mean "on disk": WAL, synchronous=FULL and foreign
 * keys, each read back because a pragma SQLite cannot honour is silently ignored. `create: false` never creates a
 * file (the CLI must not leave an empty ledger behind in a wrong directory). `exclusive` keeps every other process
 * out while this connection is open, and fails (locked) when one already has the file open — a running kiosk.
 */
export function openLedgerDatabase(dataDir: string, options: { create: boolean; exclusive?: boolean }): Database.Database {
  const file = ledgerPath(dataDir);
  if (!options.create && !fs.existsSync(file)) {
    throw new KioskFailure('not_found', `There is no ledger in ${dataDir} (${LEDGER_FILE} does not exist).`);
  }
  if (options.create) fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return withStorageErrors(() => {
    const db = new Database(file, { fileMustExist: !options.create, timeout: 2000 });
    try {
      if (options.exclusive) db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      // Erased openings are overwritten, not left in free pages.
      db.pragma('secure_delete = ON');
      expectPragma(db, 'journal_mode', 'wal');
      expectPragma(db, 'synchronous', 2);
      expectPragma(db, 'foreign_keys', 1);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  });
}

function expectPragma(db: Database.Database, name: string, expected: string | number): void {
  const actual = db.pragma(name, { simple: true });
  if (actual !== expected) {
    throw new KioskFailure(
      'storage_unavailable',
      `The ledger cannot be made durable: ${name} is ${String(actual)}, expected ${String(expected)}.`,
    );
  }
}

export type IntegrityDepth = 'quick' | 'full';

/** SQLite's own page-level check; a damaged file is reported before the chain is even read. */
export function checkIntegrity(db: Database.Database, depth: IntegrityDepth = 'quick'): string[] {
  const rows = withStorageErrors(
    () => db.pragma(depth === 'quick' ? 'quick_check' : 'integrity_check') as Array<Record<string, string>>,
  );
  const messages = rows.map((row) => Object.values(row)[0] ?? '');
  return messages.length === 1 && messages[0] === 'ok' ? [] : messages;
}
