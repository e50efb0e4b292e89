import type { PostgresMigration } from '../migrate.ts';

const TEXT = 'TEXT COLLATE "C"';

/** SQLite's migration 7 (server/store/sqlite/migrations/0007-console.ts): the console's accounts, sessions and append-only audit log. */
export const consoleTables: PostgresMigration = {
  version: 2,
  name: 'console',
  up: async (tx) => {
    const statements = [
      `CREATE TABLE console_accounts (
        username ${TEXT} PRIMARY KEY, role ${TEXT} NOT NULL CHECK (role IN ('operator', 'compliance')), password_hash ${TEXT} NOT NULL,
        created_at ${TEXT} NOT NULL, disabled_at ${TEXT})`,
      `CREATE TABLE console_sessions (
        token_hash ${TEXT} PRIMARY KEY, username ${TEXT} NOT NULL REFERENCES console_accounts(username), csrf_token ${TEXT} NOT NULL,
        created_at ${TEXT} NOT NULL, expires_at ${TEXT} NOT NULL)`,
      `CREATE TABLE console_actions (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at ${TEXT} NOT NULL, username ${TEXT}, role ${TEXT}, action ${TEXT} NOT NULL,
        target ${TEXT}, detail ${TEXT}, status INTEGER NOT NULL)`,
      'CREATE INDEX console_actions_by_user ON console_actions(username, at)',
      `CREATE FUNCTION console_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'console_actions is append-only'; END $$`,
      `CREATE TRIGGER console_actions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON console_actions
        FOR EACH STATEMENT EXECUTE FUNCTION console_actions_append_only()`,
    ];
    for (const statement of statements) await tx.run(statement);
  },
};
