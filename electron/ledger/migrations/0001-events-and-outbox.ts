import type { Migration } from '../migrate.ts';

/**
 * The signed events (with the encrypted subject opening beside the signed bytes, the one column retention may
 * clear), the chain head that guards against a truncated tail, and the sync state in its own table. A capture
 * touches as few pages as possible: every page is a WAL frame the commit has to fsync.
 */
export const eventsAndOutbox: Migration = {
  version: 1,
  name: 'events and outbox',
  sql: `
    CREATE TABLE device (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      device_id TEXT NOT NULL,
      key_id TEXT NOT NULL,
      public_key TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE events (
      seq INTEGER PRIMARY KEY CHECK (seq >= 1),
      id TEXT NOT NULL UNIQUE,
      body TEXT NOT NULL,
      hash TEXT NOT NULL,
      sig TEXT NOT NULL,
      opening BLOB
    ) STRICT;

    CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
    WHEN NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.body IS NOT OLD.body OR NEW.hash IS NOT OLD.hash
      OR NEW.sig IS NOT OLD.sig OR NEW.opening IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;

    CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;

    CREATE TABLE chain_head (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      seq INTEGER NOT NULL,
      hash TEXT NOT NULL
    ) STRICT;

    INSERT INTO chain_head (singleton, seq, hash) VALUES (1, 0, '${'0'.repeat(64)}');

    CREATE TRIGGER chain_head_moves_forward BEFORE UPDATE ON chain_head WHEN NEW.seq <= OLD.seq
    BEGIN SELECT RAISE(ABORT, 'the chain head only moves forward'); END;

    CREATE TRIGGER chain_head_refuse_delete BEFORE DELETE ON chain_head
    BEGIN SELECT RAISE(ABORT, 'the chain head cannot be deleted'); END;

    -- Keyed by (state, seq): pending rows are one ordered range, read without a separate index.
    CREATE TABLE outbox (
      state TEXT NOT NULL CHECK (state IN ('pending', 'synced', 'dead')),
      seq INTEGER NOT NULL REFERENCES events (seq),
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      enqueued_at INTEGER NOT NULL,
      synced_at INTEGER,
      PRIMARY KEY (state, seq)
    ) STRICT, WITHOUT ROWID;
  `,
};
