import type { Migration } from '../migrate.ts';

/**
 * Remote profiles (docs/server.md, "Remote profiles"): the signed profiles an operator published for a site or a
 * device (append-only: a publication is a record of what was offered to which terminals), the notice sentences those
 * profiles approve (by the SHA-256 of the sentence), the consent events whose sentence none approves, and the profile
 * each device last said it has in force. Enrolment tokens get an expiry; tokens issued before it have none.
 */
export const remoteProfiles: Migration = {
  version: 9,
  name: 'remote profiles',
  up: (db) => {
    db.exec(`
      CREATE TABLE profile_publications (
        id INTEGER PRIMARY KEY, published_at TEXT NOT NULL, published_by TEXT NOT NULL,
        target_kind TEXT NOT NULL CHECK (target_kind IN ('site', 'device')), target TEXT NOT NULL,
        revision INTEGER NOT NULL, content_hash TEXT NOT NULL, profile_id TEXT NOT NULL, profile_version TEXT NOT NULL,
        expires_at TEXT NOT NULL, signed TEXT NOT NULL);
      CREATE INDEX profile_publications_by_target ON profile_publications(target_kind, target, revision);
      CREATE TRIGGER profile_publications_no_update BEFORE UPDATE ON profile_publications BEGIN SELECT RAISE(ABORT, 'profile_publications is append-only'); END;
      CREATE TRIGGER profile_publications_no_delete BEFORE DELETE ON profile_publications BEGIN SELECT RAISE(ABORT, 'profile_publications is append-only'); END;
      CREATE TABLE approved_notices (
        text_hash TEXT NOT NULL, publication_id INTEGER NOT NULL REFERENCES profile_publications(id),
        notice_id TEXT NOT NULL, notice_version TEXT NOT NULL, locale TEXT NOT NULL,
        PRIMARY KEY (text_hash, publication_id));
      CREATE TABLE notice_flags (
        event_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, text_hash TEXT NOT NULL, flagged_at TEXT NOT NULL);
      ALTER TABLE heartbeats ADD COLUMN profile_revision INTEGER;
      ALTER TABLE heartbeats ADD COLUMN profile_hash TEXT;
      ALTER TABLE enrolment_tokens ADD COLUMN expires_at TEXT;
    `);
  },
};
