import type { Migration } from '../migrate.ts';

/**
 * WhatsApp changes belong to the business whose number they came through, keep the delivery they came in (the raw
 * body as received and the signature it carried), and may name the user only by a business-scoped user id until
 * a payload maps it to a number. Rows recorded before this version name no business: a legacy stop keeps
 * applying to every business (an opt-out is never lost by a migration), a legacy resume to none (it could
 * otherwise undo another business's stop).
 */
export const whatsapp: Migration = {
  version: 4,
  name: 'whatsapp',
  up: (db) => {
    db.exec(`
      CREATE TABLE whatsapp_deliveries (
        id INTEGER PRIMARY KEY,
        received_at TEXT NOT NULL,
        payload_key TEXT NOT NULL UNIQUE,
        signature TEXT NOT NULL,
        payload BLOB,
        erased_at TEXT
      );

      CREATE TABLE whatsapp_user_ids (
        business_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        phone_key TEXT NOT NULL,
        delivery_id INTEGER NOT NULL REFERENCES whatsapp_deliveries(id),
        PRIMARY KEY (business_id, user_key)
      ) WITHOUT ROWID;

      CREATE TABLE preferences (
        id INTEGER PRIMARY KEY,
        business_id TEXT,
        phone_key TEXT,
        user_key TEXT,
        phone TEXT,
        value TEXT NOT NULL CHECK (value IN ('stop', 'resume')),
        at_ms INTEGER NOT NULL,
        claimed_ms INTEGER NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('user_preferences', 'error_131050')),
        received_at TEXT NOT NULL,
        delivery_id INTEGER REFERENCES whatsapp_deliveries(id),
        change_key TEXT UNIQUE,
        mapped_at TEXT,
        CHECK (phone_key IS NOT NULL OR user_key IS NOT NULL)
      );
      INSERT INTO preferences (business_id, phone_key, phone, value, at_ms, claimed_ms, source, received_at)
        SELECT NULL, phone_key, phone, value, at_ms, at_ms, source, received_at FROM whatsapp_preferences ORDER BY received_at, at_ms;
      DROP TABLE whatsapp_preferences;
      ALTER TABLE preferences RENAME TO whatsapp_preferences;
      CREATE INDEX whatsapp_preferences_by_phone ON whatsapp_preferences(phone_key, business_id) WHERE phone_key IS NOT NULL;
      CREATE INDEX whatsapp_preferences_pending ON whatsapp_preferences(business_id, user_key) WHERE phone_key IS NULL;
    `);
  },
};
