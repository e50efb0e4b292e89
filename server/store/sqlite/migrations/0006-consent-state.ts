import type Database from 'better-sqlite3';
import { preferenceOf, type PreferenceRow } from '../../consent-history.ts';
import {
  KIOSK_HISTORY,
  KIOSK_STATE,
  PREFERENCE_HISTORY,
  PREFERENCE_STATE,
  kioskRow,
  kioskWinners,
  preferenceRow,
  preferenceWinners,
  type KioskWinner,
  type PreferenceWinner,
} from '../../consent-states.ts';
import type { RowInsert } from '../../sql.ts';
import type { Migration } from '../migrate.ts';

const PAGE = 1000;

const insertOf = (db: Database.Database, spec: RowInsert) =>
  db.prepare(`INSERT INTO ${spec.table} (${spec.columns.map((c) => c.name).join(', ')}) VALUES (${spec.columns.map(() => '?').join(', ')})`);

/** Every phone key of `table`, a page at a time (a statement cannot stay open while the same connection writes). */
function* phoneKeyPages(db: Database.Database, table: string): Generator<string[]> {
  const page = db.prepare(`SELECT DISTINCT phone_key FROM ${table} WHERE phone_key > ? ORDER BY phone_key LIMIT ${PAGE}`).pluck();
  for (let after = ''; ; ) {
    const keys = page.all(after) as string[];
    if (keys.length === 0) return;
    yield keys;
    after = keys.at(-1)!;
  }
}

/**
 * The current state of every number (consent-states.ts), so that a consent check is one indexed read instead of a
 * resolution of the number's whole history: per number, business and purpose the kiosk decision that stands, per
 * number and business (or `''`: the stops recorded before changes named a business) the WhatsApp change that stands.
 * Filled here from the history as it is, with the functions resolution from history uses.
 */
export const consentState: Migration = {
  version: 6,
  name: 'consent state',
  up: (db) => {
    db.exec(`
      CREATE TABLE consent_state (
        phone_key TEXT NOT NULL,
        business_id TEXT NOT NULL,
        purpose_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('opt_in', 'opt_out')),
        category TEXT NOT NULL,
        effective_ms INTEGER NOT NULL,
        earliest_ms INTEGER NOT NULL,
        latest_ms INTEGER NOT NULL,
        quality TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        PRIMARY KEY (phone_key, business_id, purpose_id)
      ) WITHOUT ROWID;

      CREATE TABLE preference_state (
        phone_key TEXT NOT NULL,
        scope TEXT NOT NULL,
        value TEXT NOT NULL CHECK (value IN ('stop', 'resume')),
        effective_ms INTEGER NOT NULL,
        earliest_ms INTEGER NOT NULL,
        latest_ms INTEGER NOT NULL,
        quality TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        PRIMARY KEY (phone_key, scope)
      ) WITHOUT ROWID;
    `);
    const insertKiosk = insertOf(db, KIOSK_STATE);
    const kioskOf = db.prepare(`${KIOSK_HISTORY} AND s.phone_key IN (SELECT value FROM json_each(?))`);
    for (const keys of phoneKeyPages(db, 'subjects')) {
      for (const winner of kioskWinners(kioskOf.all(JSON.stringify(keys)) as KioskWinner[])) insertKiosk.run(...kioskRow(winner));
    }
    const insertPreference = insertOf(db, PREFERENCE_STATE);
    const preferencesOf = db.prepare(`${PREFERENCE_HISTORY} AND phone_key IN (SELECT value FROM json_each(?))`);
    for (const keys of phoneKeyPages(db, 'whatsapp_preferences')) {
      const rows = preferencesOf.all(JSON.stringify(keys)) as (PreferenceRow & { phoneKey: string; scope: string })[];
      const winners = preferenceWinners(rows.map((row): PreferenceWinner => ({ ...preferenceOf(row), phoneKey: row.phoneKey, scope: row.scope })));
      for (const winner of winners) insertPreference.run(...preferenceRow(winner));
    }
  },
};
