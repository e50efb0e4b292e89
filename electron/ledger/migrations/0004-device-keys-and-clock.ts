import type { Migration } from '../migrate.ts';

/**
 * The trust model (docs/trust-model.md) adds chain events that are not consents, and three small tables read beside
 * the chain:
 * - `device_keys`: every key the device has signed with and the first seq it signed. The first is the enrolled key
 *   (the `device` row's); each later one was named by a key rotation event at `from_seq - 1`. `verify` checks each
 *   event against the key valid for its seq, and the chain's rotations against this table.
 * - `clock_observations`: what each clock observation event says about the device clock, so a capture can tell
 *   whether its clock is known to be good without reading event bodies (the signed event stays the evidence).
 * - `api_statement`: the latest statement the central API signed about this device's chain, verified by the sync
 *   worker against the API's pinned keys; the export carries it as the API's confirmation.
 */
export const deviceKeysAndClock: Migration = {
  version: 4,
  name: 'device keys, clock observations, API statement',
  sql: `
    CREATE TABLE device_keys (
      from_seq INTEGER PRIMARY KEY CHECK (from_seq >= 1),
      key_id TEXT NOT NULL UNIQUE,
      public_key TEXT NOT NULL,
      added_at TEXT NOT NULL
    ) STRICT;

    INSERT INTO device_keys (from_seq, key_id, public_key, added_at) SELECT 1, key_id, public_key, created_at FROM device;

    CREATE TRIGGER device_keys_refuse_update BEFORE UPDATE ON device_keys
    BEGIN SELECT RAISE(ABORT, 'device keys are append-only'); END;

    CREATE TRIGGER device_keys_refuse_delete BEFORE DELETE ON device_keys
    BEGIN SELECT RAISE(ABORT, 'device keys are append-only'); END;

    CREATE TABLE clock_observations (
      seq INTEGER PRIMARY KEY REFERENCES events (seq),
      boot_id TEXT NOT NULL,
      received_mono INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      offset_ms INTEGER NOT NULL,
      round_trip_ms INTEGER NOT NULL CHECK (round_trip_ms >= 0)
    ) STRICT;

    CREATE TABLE api_statement (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      statement TEXT NOT NULL,
      received_at TEXT NOT NULL
    ) STRICT;
  `,
};
