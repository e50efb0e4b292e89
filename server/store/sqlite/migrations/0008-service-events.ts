import type { Migration } from '../migrate.ts';

/**
 * Service events (a technician's session and actions at a terminal, shared/contract/chain-event.ts) join the chain
 * events. SQLite cannot change a CHECK in place, so the table is rebuilt with `service` among its types; every row,
 * column and index is kept as it was. Like clock observations and key rotations, a service event is never a
 * consent: the consent columns stay null for it, which the table's own CHECK enforces. Rows keep their rowids: the
 * audit pages through events by rowid, in the order they were stored. Version 8, not 7: 7 is the console audit log's
 * (issue 13), merged separately; the runner applies whatever is newer than the database in order, gaps and all.
 */
export const serviceEvents: Migration = {
  version: 8,
  name: 'service events',
  up: (db) => {
    db.exec(`
      CREATE TABLE events_with_service (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(id),
        seq INTEGER NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL,
        key_id TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('consent', 'clock_observation', 'key_rotation', 'service')),
        kind TEXT CHECK (kind IN ('opt_in', 'opt_out')),
        commitment TEXT,
        business_id TEXT,
        purpose_id TEXT,
        purpose_category TEXT,
        body TEXT NOT NULL,
        sig TEXT NOT NULL,
        UNIQUE (device_id, seq),
        CHECK ((type = 'consent') = (kind IS NOT NULL AND commitment IS NOT NULL AND purpose_id IS NOT NULL))
      );
      INSERT INTO events_with_service (rowid, id, device_id, seq, prev, hash, key_id, type, kind, commitment, business_id, purpose_id, purpose_category, body, sig)
        SELECT rowid, id, device_id, seq, prev, hash, key_id, type, kind, commitment, business_id, purpose_id, purpose_category, body, sig
        FROM events ORDER BY rowid;
      DROP TABLE events;
      ALTER TABLE events_with_service RENAME TO events;
      CREATE INDEX events_by_commitment ON events(commitment) WHERE commitment IS NOT NULL;
      CREATE INDEX events_without_business ON events(type) WHERE business_id IS NULL AND type = 'consent';
    `);
  },
};
