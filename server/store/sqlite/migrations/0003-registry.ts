import type { Migration } from '../migrate.ts';

/**
 * Who a device is and what it may do: enrolment tokens may be bound to one device id (an operator's re-enrolment),
 * limited to some businesses, and pin where the terminal stands; devices carry their businesses, placement (with
 * its history, so an audit names where a terminal stood when it captured) and revocation. The businesses the API
 * collects consent for, and every operator action, are recorded.
 */
export const registry: Migration = {
  version: 3,
  name: 'registry',
  up: (db) => {
    db.exec(`
      ALTER TABLE enrolment_tokens ADD COLUMN for_device_id TEXT;
      ALTER TABLE enrolment_tokens ADD COLUMN business_ids TEXT;
      ALTER TABLE enrolment_tokens ADD COLUMN placement TEXT;

      ALTER TABLE devices ADD COLUMN business_ids TEXT;
      ALTER TABLE devices ADD COLUMN placement TEXT;
      ALTER TABLE devices ADD COLUMN placement_pinned INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE devices ADD COLUMN revoked_at TEXT;
      ALTER TABLE devices ADD COLUMN revoked_reason TEXT;

      ALTER TABLE heartbeats ADD COLUMN placement TEXT;

      CREATE TABLE device_placements (
        device_id TEXT NOT NULL REFERENCES devices(id),
        from_at TEXT NOT NULL,
        placement TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('enrolment', 'operator', 'heartbeat')),
        PRIMARY KEY (device_id, from_at)
      ) WITHOUT ROWID;

      CREATE TABLE businesses (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        whatsapp_number TEXT NOT NULL UNIQUE,
        whatsapp_phone_number_id TEXT UNIQUE,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE operator_actions (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
      );
    `);
  },
};
