import type Database from 'better-sqlite3';
import { createHmac, randomBytes } from 'node:crypto';

export type PhoneKey = (phone: string) => string;

/**
 * Keyed hash used to look a number up: the key is made once per database, so the indexes hold no phone number
 * and a hash cannot be reversed by hashing every possible number without the key.
 */
export function loadPhoneKey(db: Database.Database): PhoneKey {
  db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('phone_lookup_key', ?)`).run(randomBytes(32).toString('base64url'));
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'phone_lookup_key'`).get() as { value: string };
  const key = Buffer.from(row.value, 'base64url');
  return (phone) => createHmac('sha256', key).update(phone).digest('hex');
}
