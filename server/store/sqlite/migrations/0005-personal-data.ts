import type { Migration } from '../migrate.ts';

/**
 * Personal data at rest: a subject's opening (phone, customer reference, salt — the salt too, or a commitment
 * could be tested against every possible number) is sealed with the data key, and every lookup index is an HMAC
 * under a key derived from it instead of the lookup key version 1 kept in the database itself. Legacy WhatsApp
 * rows lose their clear number. An erased subject leaves a tombstone (its commitment only), so an opening
 * uploaded again later is not stored again.
 */
export const personalData: Migration = {
  version: 5,
  name: 'personal data at rest',
  up: (db, { dataKey }) => {
    db.exec(`
      CREATE TABLE sealed_subjects (
        commitment TEXT PRIMARY KEY,
        opening BLOB NOT NULL,
        phone_key TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE erased_subjects (commitment TEXT PRIMARY KEY, erased_at TEXT NOT NULL) WITHOUT ROWID;
    `);
    const insert = db.prepare('INSERT INTO sealed_subjects (commitment, opening, phone_key) VALUES (?, ?, ?)');
    const subjects = db.prepare('SELECT commitment, phone, customer_ref AS customerRef, salt FROM subjects').all() as {
      commitment: string;
      phone: string;
      customerRef: string | null;
      salt: string;
    }[];
    for (const { commitment, phone, customerRef, salt } of subjects) {
      const opening = JSON.stringify(customerRef === null ? { phone, salt } : { phone, customerRef, salt });
      insert.run(commitment, dataKey.seal(opening, `opening:${commitment}`), dataKey.lookup(phone));
    }
    const rekey = db.prepare('UPDATE whatsapp_preferences SET phone_key = ? WHERE id = ?');
    for (const { id, phone } of db.prepare('SELECT id, phone FROM whatsapp_preferences WHERE phone IS NOT NULL').all() as { id: number; phone: string }[]) {
      rekey.run(dataKey.lookup(phone), id);
    }
    db.exec(`
      DROP TABLE subjects;
      ALTER TABLE sealed_subjects RENAME TO subjects;
      CREATE INDEX subjects_by_phone_key ON subjects(phone_key);
      ALTER TABLE whatsapp_preferences DROP COLUMN phone;
      DELETE FROM meta WHERE key = 'phone_lookup_key';
    `);
  },
};
