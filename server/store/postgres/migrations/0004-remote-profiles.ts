import type { PostgresMigration } from '../migrate.ts';

const TEXT = 'TEXT COLLATE "C"';

/** SQLite's migration 9 (server/store/sqlite/migrations/0009-remote-profiles.ts): publications, approved notices, flags, token expiry. */
export const remoteProfiles: PostgresMigration = {
  version: 4,
  name: 'remote profiles',
  up: async (tx) => {
    const statements = [
      `CREATE TABLE profile_publications (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, published_at ${TEXT} NOT NULL, published_by ${TEXT} NOT NULL,
        target_kind ${TEXT} NOT NULL CHECK (target_kind IN ('site', 'device')), target ${TEXT} NOT NULL,
        revision BIGINT NOT NULL, content_hash ${TEXT} NOT NULL, profile_id ${TEXT} NOT NULL, profile_version ${TEXT} NOT NULL,
        expires_at ${TEXT} NOT NULL, signed ${TEXT} NOT NULL)`,
      'CREATE INDEX profile_publications_by_target ON profile_publications(target_kind, target, revision)',
      `CREATE FUNCTION profile_publications_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'profile_publications is append-only'; END $$`,
      `CREATE TRIGGER profile_publications_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON profile_publications
        FOR EACH STATEMENT EXECUTE FUNCTION profile_publications_append_only()`,
      `CREATE TABLE approved_notices (
        text_hash ${TEXT} NOT NULL, publication_id BIGINT NOT NULL REFERENCES profile_publications(id),
        notice_id ${TEXT} NOT NULL, notice_version ${TEXT} NOT NULL, locale ${TEXT} NOT NULL,
        PRIMARY KEY (text_hash, publication_id))`,
      `CREATE TABLE notice_flags (
        event_id ${TEXT} PRIMARY KEY, device_id ${TEXT} NOT NULL, text_hash ${TEXT} NOT NULL, flagged_at ${TEXT} NOT NULL)`,
      'ALTER TABLE heartbeats ADD COLUMN profile_revision BIGINT',
      `ALTER TABLE heartbeats ADD COLUMN profile_hash ${TEXT}`,
      `ALTER TABLE enrolment_tokens ADD COLUMN expires_at ${TEXT}`,
    ];
    for (const statement of statements) await tx.run(statement);
  },
};
