import type { KioskDecision, MarketingPreference } from '../consent/resolve-state.ts';
import type { DataKey } from '../keys/data-key.ts';
import type { SqlQueries } from './sql.ts';

/** A kiosk consent event counts as a decision of the number its opening names, for the business it names. */
export const DECISION_COLUMNS = `e.id AS "eventId", e.kind, e.purpose_id AS "purposeId", e.purpose_category AS category, t.effective_ms AS "effectiveMs",
  t.earliest_ms AS "earliestMs", t.latest_ms AS "latestMs", t.quality, t.received_ms AS "receivedMs"`;
export const DECISIONS = `subjects s JOIN events e ON e.commitment = s.commitment JOIN event_times t ON t.device_id = e.device_id AND t.seq = e.seq`;

/** A WhatsApp change as a decision: Meta's time, kept no later than the delivery's arrival, so bounded. */
export const PREFERENCE_COLUMNS = `value, at_ms AS "effectiveMs", at_ms AS "earliestMs", at_ms AS "latestMs", received_at AS "receivedAt"`;
export type PreferenceRow = Omit<MarketingPreference, 'quality' | 'receivedMs'> & { receivedAt: string };
export const preferenceOf = ({ receivedAt, ...row }: PreferenceRow): MarketingPreference => ({ ...row, quality: 'bounded', receivedMs: Date.parse(receivedAt) });

/**
 * What has been decided for a number with one business: kiosk consent events (through their openings) and WhatsApp
 * marketing preferences. Both in a fixed order, so nothing downstream depends on how the database returns rows.
 * A legacy stop (recorded before changes were scoped to a business) applies to every business (migration 0004).
 */
export function createConsentHistory(db: SqlQueries, dataKey: DataKey) {
  return {
    decisionsFor: (businessId: string, phone: string): Promise<KioskDecision[]> =>
      db.all<KioskDecision>(`SELECT ${DECISION_COLUMNS} FROM ${DECISIONS} WHERE s.phone_key = ? AND e.business_id = ? AND e.type = 'consent'
        ORDER BY t.effective_ms, e.id`, [dataKey.lookup(phone), businessId]),
    preferencesFor: async (businessId: string, phone: string): Promise<MarketingPreference[]> =>
      (
        await db.all<PreferenceRow>(`SELECT ${PREFERENCE_COLUMNS} FROM whatsapp_preferences
          WHERE phone_key = ? AND (business_id = ? OR (business_id IS NULL AND value = 'stop')) ORDER BY at_ms, value, source, id`, [dataKey.lookup(phone), businessId])
      ).map(preferenceOf),
  };
}

export type ConsentHistory = ReturnType<typeof createConsentHistory>;
