import type { Migration } from '../migrate.ts';

/**
 * The console's accounts, sessions and audit log (docs/console.md). Sessions and accounts hold only hashes; the
 * audit log refuses every UPDATE and DELETE, so what a console user did stays as it was written.
 */
export const consoleTables: Migration = {
  version: 7,
  name: 'console',
  up: (db) => {
    db.exec(`
      CREATE TABLE console_accounts (
        username TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('operator', 'compliance')), password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL, disabled_at TEXT);
      CREATE TABLE console_sessions (
        token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES console_accounts(username), csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
      CREATE TABLE console_actions (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, username TEXT, role TEXT, action TEXT NOT NULL, target TEXT,
        detail TEXT, status INTEGER NOT NULL);
      CREATE INDEX console_actions_by_user ON console_actions(username, at);
      CREATE TRIGGER console_actions_no_update BEFORE UPDATE ON console_actions BEGIN SELECT RAISE(ABORT, 'console_actions is append-only'); END;
      CREATE TRIGGER console_actions_no_delete BEFORE DELETE ON console_actions BEGIN SELECT RAISE(ABORT, 'console_actions is append-only'); END;
    `);
  },
};
