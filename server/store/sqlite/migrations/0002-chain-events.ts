import type Database from 'better-sqlite3';
import type { Migration } from '../migrate.ts';

/**
 * Every chain event a device signs, not only consents: consent columns become nullable, `type` says which. Time
 * moves to `event_times`, derived and correctable, beside the immutable evidence in `events`: the bounds the API
 * knows (`earliest_ms`, `latest_ms`), the device's own clocks, the clock observation that places the event, and
 * the effective time and its quality, computed by SQLite from those in one place (docs/server.md, "Effective
 * time"). The clock offset kiosks used to claim at upload is dropped: it was never evidence. No index beyond the
 * keys: every one would cost every ingested event a B-tree insert (ranges are found by device and seq).
 */
export const chainEvents: Migration = {
  version: 2,
  name: 'chain events',
  up: (db, { clockToleranceMs }) => {
    db.exec(`
      CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_until TEXT
      );

      CREATE TABLE chain_events (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(id),
        seq INTEGER NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL,
        key_id TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('consent', 'clock_observation', 'key_rotation')),
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
      INSERT INTO chain_events (id, device_id, seq, prev, hash, key_id, type, kind, commitment, purpose_id, purpose_category, body, sig)
        SELECT id, device_id, seq, prev, hash, key_id, 'consent', kind, commitment, purpose_id, purpose_category, body, sig
        FROM events ORDER BY rowid;

      CREATE TABLE event_times (
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        boot_id TEXT,
        mono_ms INTEGER,
        captured_ms INTEGER NOT NULL,
        known_good INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        earliest_ms INTEGER NOT NULL,
        latest_ms INTEGER NOT NULL,
        placed_by_seq INTEGER,
        place_issued_ms INTEGER,
        place_mono_ms INTEGER,
        offset_by_seq INTEGER,
        offset_ms INTEGER,
        tolerance_ms INTEGER NOT NULL,
        estimate_ms INTEGER GENERATED ALWAYS AS (CASE WHEN placed_by_seq IS NOT NULL
          THEN place_issued_ms + (mono_ms - place_mono_ms) ELSE captured_ms + COALESCE(offset_ms, 0) END) STORED,
        effective_ms INTEGER GENERATED ALWAYS AS (MIN(MAX(estimate_ms, earliest_ms), latest_ms)) STORED,
        quality TEXT GENERATED ALWAYS AS (CASE
          WHEN estimate_ms < earliest_ms - tolerance_ms OR estimate_ms > latest_ms + tolerance_ms THEN 'clamped'
          WHEN placed_by_seq IS NOT NULL THEN 'bounded' ELSE 'unbounded' END) STORED,
        PRIMARY KEY (device_id, seq)
      ) WITHOUT ROWID;

      INSERT INTO event_times (device_id, seq, boot_id, mono_ms, captured_ms, known_good, received_ms, earliest_ms, latest_ms, tolerance_ms)
        SELECT e.device_id, e.seq, NULL, NULL,
          CAST(ROUND(unixepoch(e.captured_at, 'subsec') * 1000) AS INTEGER),
          COALESCE(json_extract(e.body, '$.clock.knownGood'), 0),
          CAST(ROUND(unixepoch(e.received_at, 'subsec') * 1000) AS INTEGER),
          CAST(ROUND(unixepoch(d.enrolled_at, 'subsec') * 1000) AS INTEGER),
          CAST(ROUND(MIN(unixepoch(e.received_at, 'subsec')) OVER (PARTITION BY e.device_id ORDER BY e.seq
            ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) * 1000) AS INTEGER),
          ${Number(clockToleranceMs)}
        FROM events e JOIN devices d ON d.id = e.device_id;

      DROP TABLE events;
      ALTER TABLE chain_events RENAME TO events;
      CREATE INDEX events_by_commitment ON events(commitment) WHERE commitment IS NOT NULL;
      -- consents of kiosks before the trust model name no business id until a business with their name and number is registered
      CREATE INDEX events_without_business ON events(type) WHERE business_id IS NULL AND type = 'consent';

      CREATE TABLE clock_observations (
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        boot_id TEXT NOT NULL,
        issued_ms INTEGER NOT NULL,
        mid_mono_ms INTEGER NOT NULL,
        offset_ms INTEGER NOT NULL,
        round_trip_ms INTEGER NOT NULL,
        statement_key_id TEXT NOT NULL,
        statement_head_seq INTEGER,
        valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
        fault TEXT,
        PRIMARY KEY (device_id, seq)
      ) WITHOUT ROWID;
      CREATE INDEX clock_observations_by_boot ON clock_observations(device_id, boot_id, seq) WHERE valid = 1;

      ALTER TABLE devices DROP COLUMN clock_offset_ms;
      ALTER TABLE devices ADD COLUMN contiguous_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE devices ADD COLUMN contiguous_hash TEXT;
      UPDATE devices SET (contiguous_seq, contiguous_hash) = (
        SELECT seq, hash FROM (SELECT seq, hash, ROW_NUMBER() OVER (ORDER BY seq) AS n FROM events WHERE device_id = devices.id)
        WHERE seq = n ORDER BY seq DESC LIMIT 1)
      WHERE EXISTS (SELECT 1 FROM events WHERE device_id = devices.id AND seq = 1);

      ALTER TABLE device_keys ADD COLUMN from_seq INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE device_keys ADD COLUMN to_seq INTEGER;
      ALTER TABLE device_keys ADD COLUMN added_by TEXT NOT NULL DEFAULT 'enrolment' CHECK (added_by IN ('enrolment', 'rotation', 'admin'));
    `);
    assignKeyRanges(db);
  },
};

/**
 * Before this version every key a device had enrolled was accepted for any seq. Each retired key now covers the
 * seqs it was seen signing (none: an empty range), and the device's current key everything after them.
 */
function assignKeyRanges(db: Database.Database): void {
  const keys = db
    .prepare(`
      SELECT k.key_id AS keyId, k.device_id AS deviceId, k.key_id = d.key_id AS current,
        (SELECT MIN(seq) FROM events e WHERE e.key_id = k.key_id) AS firstSeq, (SELECT MAX(seq) FROM events e WHERE e.key_id = k.key_id) AS lastSeq
      FROM device_keys k JOIN devices d ON d.id = k.device_id ORDER BY k.device_id, k.enrolled_at`)
    .all() as { keyId: string; deviceId: string; current: number; firstSeq: number | null; lastSeq: number | null }[];
  const setRange = db.prepare('UPDATE device_keys SET from_seq = ?, to_seq = ? WHERE key_id = ?');
  const retiredUpTo = new Map<string, number>();
  for (const key of keys.filter((k) => !k.current)) {
    setRange.run(key.firstSeq ?? 1, key.lastSeq ?? 0, key.keyId);
    retiredUpTo.set(key.deviceId, Math.max(retiredUpTo.get(key.deviceId) ?? 0, key.lastSeq ?? 0));
  }
  for (const key of keys.filter((k) => k.current)) setRange.run((retiredUpTo.get(key.deviceId) ?? 0) + 1, null, key.keyId);
}
