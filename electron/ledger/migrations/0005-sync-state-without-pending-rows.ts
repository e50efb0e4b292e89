import type { Migration } from '../migrate.ts';

/**
 * A capture no longer writes an outbox row (one more statement and one more page for its commit to fsync on every
 * capture): an event is pending until the sync worker records something about it. `sync_state` holds only what sync
 * said — acknowledged (`synced`), refused (`dead`), or failed attempts on a still pending event — keyed by seq, so
 * "has this event settled?" is one primary-key lookup. `sync_floor` is a seq at or below which every event has
 * settled, so reading the pending events starts there instead of walking every synced one.
 *
 * Old outbox rows carry over except plain pending ones (no attempt yet: the absence of a row says the same); the
 * floor starts below the first unsettled event. `enqueued_at` goes: it was the capture time, which the event's own
 * `capturedAt` says.
 */
export const syncStateWithoutPendingRows: Migration = {
  version: 5,
  name: 'sync state without pending rows',
  sql: `
    CREATE TABLE sync_state (
      seq INTEGER PRIMARY KEY REFERENCES events (seq),
      state TEXT NOT NULL CHECK (state IN ('pending', 'synced', 'dead')),
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      synced_at INTEGER
    ) STRICT;

    -- the dead letters without a walk over every synced row (a query must say state = 'dead' to use it)
    CREATE INDEX sync_state_dead ON sync_state (seq) WHERE state = 'dead';

    INSERT INTO sync_state (seq, state, attempts, last_error, synced_at)
    SELECT seq, state, attempts, last_error, synced_at FROM outbox
    WHERE state <> 'pending' OR attempts > 0 OR last_error IS NOT NULL;

    CREATE TABLE sync_floor (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      seq INTEGER NOT NULL
    ) STRICT;

    INSERT INTO sync_floor (singleton, seq)
    SELECT 1, coalesce((SELECT MIN(seq) FROM outbox WHERE state = 'pending') - 1, (SELECT seq FROM chain_head));

    DROP TABLE outbox;
  `,
};
