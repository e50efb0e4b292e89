import type Database from 'better-sqlite3';
import type { KioskDecision, MarketingPreference } from '../consent/resolve-state.ts';
import type { DataKey } from '../keys/data-key.ts';

/**
 * What has been decided for a number with one business: kiosk consent events (through their openings) and WhatsApp
 * marketing preferences. Both in a fixed order, so nothing downstream depends on how SQLite happens to return rows.
 */
export function createConsentHistory(db: Database.Database, dataKey: DataKey) {
  const selectDecisions = db.prepare(`
    SELECT e.id AS eventId, e.kind, e.purpose_id AS purposeId, e.purpose_category AS category, t.effective_ms AS effectiveMs,
      t.earliest_ms AS earliestMs, t.latest_ms AS latestMs, t.quality, t.received_ms AS receivedMs
    FROM subjects s JOIN events e ON e.commitment = s.commitment JOIN event_times t ON t.device_id = e.device_id AND t.seq = e.seq
    WHERE s.phone_key = ? AND e.business_id = ? AND e.type = 'consent'
    ORDER BY t.effective_ms, e.id`);
  // WhatsApp's time is Meta's, kept no later than the delivery's arrival: bounded. A legacy stop (recorded before
  // changes were scoped to a business) applies to every business (migration 0004).
  const selectPreferences = db.prepare(`
    SELECT value, at_ms AS effectiveMs, at_ms AS earliestMs, at_ms AS latestMs, 'bounded' AS quality,
      CAST(ROUND(unixepoch(received_at, 'subsec') * 1000) AS INTEGER) AS receivedMs
    FROM whatsapp_preferences WHERE phone_key = ? AND (business_id = ? OR (business_id IS NULL AND value = 'stop'))
    ORDER BY at_ms, value, source, id`);

  return {
    decisionsFor: (businessId: string, phone: string): KioskDecision[] => selectDecisions.all(dataKey.lookup(phone), businessId) as KioskDecision[],
    preferencesFor: (businessId: string, phone: string): MarketingPreference[] =>
      selectPreferences.all(dataKey.lookup(phone), businessId) as MarketingPreference[],
  };
}

export type ConsentHistory = ReturnType<typeof createConsentHistory>;
