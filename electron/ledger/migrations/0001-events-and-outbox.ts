import type { Migration } from '../migrate.ts';

/**
 * The signed events, the chain head that guards against a truncated tail, the sync state beside (never inside) the
 * signed bytes, and the encrypted subject openings that retention erases.
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
      sig TEXT NOT NULL
    ) STRICT;

    CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
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

    CREATE TABLE outbox (
      seq INTEGER PRIMARY KEY REFERENCES events (seq),
      state TEXT NOT NULL CHECK (state IN ('pending', 'synced', 'dead')),
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      enqueued_at INTEGER NOT NULL,
      synced_at INTEGER
    ) STRICT;

    CREATE INDEX outbox_by_state ON outbox (state, seq);

    CREATE TABLE subject_openings (
      seq INTEGER PRIMARY KEY REFERENCES events (seq),
      sealed BLOB NOT NULL
    ) STRICT;
  `,
};
