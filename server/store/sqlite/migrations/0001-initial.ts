import type { Migration } from '../migrate.ts';

/**
 * Events keep their canonical body bytes and signature verbatim, so an audit export hands out exactly what the
 * device signed. Phones live only in `subjects` (the openings); lookups go through `phone_key`, a keyed hash, so
 * indexes never hold a number in clear.
 */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  up: (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

      CREATE TABLE enrolment_tokens (
        token_hash TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        used_at TEXT,
        device_id TEXT
      );

      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        credential_hash TEXT NOT NULL UNIQUE,
        key_id TEXT NOT NULL,
        app_version TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        clock_offset_ms INTEGER,
        last_ingest_at TEXT
      );

      CREATE TABLE device_keys (
        key_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(id),
        public_key TEXT NOT NULL,
        enrolled_at TEXT NOT NULL
      );
      CREATE INDEX device_keys_by_device ON device_keys(device_id);

      CREATE TABLE subjects (
        commitment TEXT PRIMARY KEY,
        phone TEXT NOT NULL,
        customer_ref TEXT,
        salt TEXT NOT NULL,
        phone_key TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX subjects_by_phone_key ON subjects(phone_key);

      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(id),
        seq INTEGER NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL,
        key_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        commitment TEXT NOT NULL,
        purpose_id TEXT NOT NULL,
        purpose_category TEXT NOT NULL,
        captured_at TEXT NOT NULL,
        clock_offset_ms INTEGER NOT NULL,
        effective_at_ms INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        body TEXT NOT NULL,
        sig TEXT NOT NULL,
        UNIQUE (device_id, seq)
      );
      CREATE INDEX events_by_commitment ON events(commitment);
      CREATE INDEX events_by_captured_at ON events(captured_at);

      CREATE TABLE whatsapp_preferences (
        phone_key TEXT NOT NULL,
        phone TEXT NOT NULL,
        value TEXT NOT NULL CHECK (value IN ('stop', 'resume')),
        at_ms INTEGER NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('user_preferences', 'error_131050')),
        received_at TEXT NOT NULL,
        PRIMARY KEY (phone_key, at_ms, value, source)
      ) WITHOUT ROWID;

      CREATE TABLE heartbeats (
        device_id TEXT PRIMARY KEY REFERENCES devices(id),
        received_at TEXT NOT NULL,
        pending INTEGER NOT NULL,
        dead INTEGER NOT NULL,
        oldest_pending_age_ms INTEGER,
        last_sync_at TEXT,
        app_version TEXT NOT NULL,
        profile_version TEXT
      );

      CREATE TABLE funnel_counts (
        device_id TEXT NOT NULL REFERENCES devices(id),
        day TEXT NOT NULL,
        flow_id TEXT NOT NULL,
        purpose_id TEXT NOT NULL,
        locale TEXT NOT NULL,
        outcome TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (device_id, day, flow_id, purpose_id, locale, outcome)
      ) WITHOUT ROWID;
    `);
  },
};
