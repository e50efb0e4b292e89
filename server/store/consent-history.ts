import type Database from 'better-sqlite3';
import type { KioskDecision, MarketingPreference } from '../consent/resolve-state.ts';
import type { PhoneKey } from './phone-key.ts';

export interface WhatsAppPreferenceRecord extends MarketingPreference {
  phone: string;
  source: 'user_preferences' | 'error_131050';
}

/** What has been decided for a number: kiosk events (through their openings) and WhatsApp marketing preferences. */
export function createConsentHistory(db: Database.Database, phoneKey: PhoneKey, now: () => Date) {
  const selectDecisions = db.prepare(`
    SELECT e.id AS eventId, e.kind, e.purpose_id AS purposeId, e.purpose_category AS category, e.effective_at_ms AS atMs
    FROM subjects s JOIN events e ON e.commitment = s.commitment
    WHERE s.phone_key = ?`);
  const selectPreferences = db.prepare('SELECT value, at_ms AS atMs FROM whatsapp_preferences WHERE phone_key = ?');
  const insertPreference = db.prepare(`
    INSERT OR IGNORE INTO whatsapp_preferences (phone_key, phone, value, at_ms, source, received_at) VALUES (?, ?, ?, ?, ?, ?)`);
  const recordAll = db.transaction((records: readonly WhatsAppPreferenceRecord[]) => {
    const receivedAt = now().toISOString();
    for (const r of records) insertPreference.run(phoneKey(r.phone), r.phone, r.value, r.atMs, r.source, receivedAt);
  });

  return {
    decisionsFor: (phone: string): KioskDecision[] => selectDecisions.all(phoneKey(phone)) as KioskDecision[],
    preferencesFor: (phone: string): MarketingPreference[] => selectPreferences.all(phoneKey(phone)) as MarketingPreference[],
    /** Idempotent: WhatsApp redelivers webhooks, and the same change must not count twice. */
    recordPreferences: (records: readonly WhatsAppPreferenceRecord[]): void => recordAll(records),
  };
}

export type ConsentHistory = ReturnType<typeof createConsentHistory>;
