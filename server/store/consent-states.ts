import {
  checkPurpose,
  purposeState,
  winningDecision,
  winningPreference,
  type CheckAnswer,
  type KioskDecision,
  type MarketingPreference,
} from '../consent/resolve-state.ts';
import { DECISIONS, DECISION_COLUMNS, PREFERENCE_COLUMNS, preferenceOf, type PreferenceRow } from './consent-history.ts';
import type { Dialect, InsertColumn, SqlQueries, SqlTx } from './sql.ts';

/** The decision standing for a number, a business and a purpose. */
export type KioskWinner = KioskDecision & { phoneKey: string; businessId: string };
/** The WhatsApp change standing for a number with a business (`scope`), or among the stops that name none (`''`). */
export type PreferenceWinner = MarketingPreference & { phoneKey: string; scope: string };

const text = (name: string): InsertColumn => ({ name, type: 'text' });
const bigint = (name: string): InsertColumn => ({ name, type: 'bigint' });
const TIME = [bigint('effective_ms'), bigint('earliest_ms'), bigint('latest_ms'), text('quality'), bigint('received_ms')];
export const KIOSK_STATE = {
  table: 'consent_state',
  columns: [text('phone_key'), text('business_id'), text('purpose_id'), text('event_id'), text('kind'), text('category'), ...TIME],
};
export const PREFERENCE_STATE = { table: 'preference_state', columns: [text('phone_key'), text('scope'), text('value'), ...TIME] };

export const kioskRow = (w: KioskWinner) => [w.phoneKey, w.businessId, w.purposeId, w.eventId, w.kind, w.category, w.effectiveMs, w.earliestMs, w.latestMs, w.quality, w.receivedMs];
export const preferenceRow = (w: PreferenceWinner) => [w.phoneKey, w.scope, w.value, w.effectiveMs, w.earliestMs, w.latestMs, w.quality, w.receivedMs];

function grouped<T>(rows: readonly T[], keyOf: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

/** The winners a subject's history gives, per (number, business, purpose): exactly what resolution from history picks. */
export const kioskWinners = (rows: readonly KioskWinner[]): KioskWinner[] =>
  grouped(rows, (r) => `${r.phoneKey}\u0000${r.businessId}\u0000${r.purposeId}`).map((group) => winningDecision(group) as KioskWinner);
export const preferenceWinners = (rows: readonly PreferenceWinner[]): PreferenceWinner[] =>
  grouped(rows, (r) => `${r.phoneKey}\u0000${r.scope}`).map((group) => winningPreference(group) as PreferenceWinner);

export const KIOSK_HISTORY = `SELECT s.phone_key AS "phoneKey", e.business_id AS "businessId", ${DECISION_COLUMNS} FROM ${DECISIONS}
  WHERE e.type = 'consent' AND e.business_id IS NOT NULL`;
// a legacy resume (no business) applies to none (migration 0004), so it never stands
export const PREFERENCE_HISTORY = `SELECT phone_key AS "phoneKey", COALESCE(business_id, '') AS scope, ${PREFERENCE_COLUMNS}
  FROM whatsapp_preferences WHERE phone_key IS NOT NULL AND (business_id IS NOT NULL OR value = 'stop')`;
export const insertKioskWinners = (tx: SqlTx, winners: readonly KioskWinner[]) => tx.insertRows(KIOSK_STATE, winners.map(kioskRow));
const upsertKioskWinners = (tx: SqlTx, winners: readonly KioskWinner[]) =>
  tx.insertRows(
    {
      ...KIOSK_STATE,
      conflict: `ON CONFLICT (phone_key, business_id, purpose_id) DO UPDATE SET ${KIOSK_STATE.columns.slice(3).map((c) => `${c.name} = excluded.${c.name}`).join(', ')}`,
    },
    winners.map(kioskRow),
  );
export const insertPreferenceWinners = (tx: SqlTx, winners: readonly PreferenceWinner[]) => tx.insertRows(PREFERENCE_STATE, winners.map(preferenceRow));

interface StateRow extends Omit<KioskDecision, 'kind' | 'eventId' | 'purposeId' | 'category'> {
  source: 'kiosk' | 'whatsapp';
  phoneKey: string;
  purposeId: string | null;
  eventId: string | null;
  kind: KioskDecision['kind'] | null;
  category: KioskDecision['category'] | null;
  value: MarketingPreference['value'] | null;
}

const TIME_COLUMNS = 'effective_ms AS "effectiveMs", earliest_ms AS "earliestMs", latest_ms AS "latestMs", quality, received_ms AS "receivedMs"';
/** The state rows of some numbers with a business: the decisions standing (of one purpose, or of all), and the WhatsApp changes. */
const stateRows = (numbers: string, purpose: string) => `
  SELECT 'kiosk' AS source, phone_key AS "phoneKey", purpose_id AS "purposeId", event_id AS "eventId", kind, category, NULL AS value, ${TIME_COLUMNS}
    FROM consent_state WHERE ${numbers} AND business_id = ?${purpose}
  UNION ALL
  SELECT 'whatsapp', phone_key, NULL, NULL, NULL, NULL, value, ${TIME_COLUMNS} FROM preference_state WHERE ${numbers} AND scope IN (?, '')`;

/** A consent event a batch has just stored, as the state needs it (its time is read back: the database computes it). */
export interface StoredConsent {
  eventId: string;
  seq: number;
  kind: KioskDecision['kind'];
  purposeId: string;
  category: KioskDecision['category'];
  businessId: string;
  commitment: string;
}

/** What one ingest batch changed that a number's state depends on. */
export interface BatchChanges {
  deviceId: string;
  consents: readonly StoredConsent[];
  /** Commitments whose opening came with the batch (it may make older events of the same capture count). */
  openings: ReadonlySet<string>;
  /** Seqs of the device whose times a correction rewrote (exclusive bounds). */
  corrected: readonly { afterSeq: number; beforeSeq: number }[];
}

const TIMES_OF = `SELECT seq, effective_ms AS "effectiveMs", earliest_ms AS "earliestMs", latest_ms AS "latestMs", quality, received_ms AS "receivedMs"
  FROM event_times WHERE device_id = ? AND seq BETWEEN ? AND ?`;

export interface CheckItem {
  phoneKey: string;
  purposeId: string;
}

/**
 * The current state of every number with every business, kept beside the history it is derived from: per number,
 * business and purpose the kiosk decision that stands, and per number and business the WhatsApp change that stands.
 * Every write that can change a number's decisions (a stored consent, a correction of its time, an opening stored
 * late, a webhook, a user id mapped, a legacy consent claimed, an erasure) recomputes that number's rows whole, in
 * the same transaction, with the same functions resolution from history uses; a check is then one indexed read
 * and the combination `purposeState` makes. The recomputation holds the number (an advisory lock on PostgreSQL),
 * so two instances changing one number's history serialise on it instead of one overwriting the other.
 */
export function createConsentStates(db: SqlQueries, dialect: Dialect) {
  const { inList, list } = dialect;
  const checkOne = stateRows('phone_key = ?', ' AND purpose_id = ?');
  const checkManyOfPurpose = stateRows(inList('phone_key'), ' AND purpose_id = ?');
  const checkManyOfPurposes = stateRows(inList('phone_key'), '');
  const hold = (tx: SqlTx, phoneKeys: readonly string[]) => tx.lock(phoneKeys.map((key) => `subject:${key}`));

  function answer(rows: readonly StateRow[], item: CheckItem): CheckAnswer {
    const kiosk = rows.find((row) => row.source === 'kiosk' && row.phoneKey === item.phoneKey && row.purposeId === item.purposeId);
    if (!kiosk) return checkPurpose([], item.purposeId);
    const preferences = rows.filter((row) => row.source === 'whatsapp' && row.phoneKey === item.phoneKey) as unknown as MarketingPreference[];
    return checkPurpose([purposeState(kiosk as KioskDecision, winningPreference(preferences))], item.purposeId);
  }

  /** Recomputes the kiosk decisions standing for these numbers (with every business) from their history. */
  async function refreshKiosk(tx: SqlTx, phoneKeys: readonly string[]): Promise<void> {
    if (phoneKeys.length === 0) return;
    await hold(tx, phoneKeys);
    await tx.run(`DELETE FROM consent_state WHERE ${inList('phone_key')}`, [list(phoneKeys)]);
    await insertKioskWinners(tx, kioskWinners(await tx.all<KioskWinner>(`${KIOSK_HISTORY} AND ${inList('s.phone_key')}`, [list(phoneKeys)])));
  }

  /**
   * The numbers whose older decisions a batch changed: those of consents whose times a correction rewrote, and those
   * of captures whose opening the batch brought while events of the capture were held already. Their state is
   * recomputed from history; for every other number the batch only adds decisions.
   */
  async function changedHistory(tx: SqlTx, changes: BatchChanges, phoneKeyOf: Map<string, string>): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const { afterSeq, beforeSeq } of changes.corrected) {
      const rows = await tx.all<{ phoneKey: string }>(
        `SELECT DISTINCT s.phone_key AS "phoneKey" FROM events e JOIN subjects s ON s.commitment = e.commitment
         WHERE e.device_id = ? AND e.seq > ? AND e.seq < ? AND e.type = 'consent'`,
        [changes.deviceId, afterSeq, beforeSeq],
      );
      for (const row of rows) keys.add(row.phoneKey);
    }
    const opened = [...changes.openings].filter((commitment) => phoneKeyOf.has(commitment));
    if (opened.length === 0) return keys;
    const inBatch = new Map<string, number>();
    for (const consent of changes.consents) inBatch.set(consent.commitment, (inBatch.get(consent.commitment) ?? 0) + 1);
    const held = await tx.all<{ commitment: string; events: number }>(
      `SELECT commitment, COUNT(*) AS events FROM events WHERE ${inList('commitment')} GROUP BY commitment`,
      [list(opened)],
    );
    for (const { commitment, events } of held) if (events > (inBatch.get(commitment) ?? 0)) keys.add(phoneKeyOf.get(commitment)!);
    return keys;
  }

  return {
    refreshKiosk,

    /**
     * After an ingest batch, in its transaction: the batch's consents join the decisions standing for their numbers
     * (the winner of the standing one and the new ones is the winner of the whole history, which only grew), and
     * the numbers whose older decisions changed are recomputed from history.
     */
    async recordBatch(tx: SqlTx, changes: BatchChanges): Promise<void> {
      const commitments = [...new Set([...changes.consents.map((consent) => consent.commitment), ...changes.openings])];
      if (commitments.length === 0 && changes.corrected.length === 0) return;
      // a consent counts once its number's opening is held (and not erased)
      const subjects = commitments.length === 0 ? [] : await tx.all<{ commitment: string; phoneKey: string }>(
        `SELECT commitment, phone_key AS "phoneKey" FROM subjects WHERE ${inList('commitment')}`,
        [list(commitments)],
      );
      const phoneKeyOf = new Map(subjects.map((row) => [row.commitment, row.phoneKey]));
      const recompute = await changedHistory(tx, changes, phoneKeyOf);
      const counted = changes.consents.filter((consent) => phoneKeyOf.has(consent.commitment) && !recompute.has(phoneKeyOf.get(consent.commitment)!));
      const added = [...new Set(counted.map((consent) => phoneKeyOf.get(consent.commitment)!))];
      await hold(tx, [...added, ...recompute]);
      if (counted.length > 0) {
        const seqs = counted.map((consent) => consent.seq);
        const times = new Map(
          (await tx.all<{ seq: number } & Omit<KioskDecision, 'eventId' | 'kind' | 'purposeId' | 'category'>>(TIMES_OF, [changes.deviceId, Math.min(...seqs), Math.max(...seqs)])).map(
            ({ seq, ...time }) => [seq, time],
          ),
        );
        const fresh = counted.map(({ seq, commitment, ...decision }): KioskWinner => ({ ...decision, ...times.get(seq)!, phoneKey: phoneKeyOf.get(commitment)! }));
        const standing = await tx.all<KioskWinner>(
          `SELECT phone_key AS "phoneKey", business_id AS "businessId", purpose_id AS "purposeId", event_id AS "eventId", kind, category, ${TIME_COLUMNS}
           FROM consent_state WHERE ${inList('phone_key')}`,
          [list(added)],
        );
        const before = new Map(standing.map((row) => [row.eventId, row]));
        await upsertKioskWinners(tx, kioskWinners([...standing, ...fresh]).filter((winner) => !before.has(winner.eventId)));
      }
      await refreshKiosk(tx, [...recompute]);
    },

    /** Recomputes the WhatsApp changes standing for these numbers from their history. */
    async refreshPreferences(tx: SqlTx, phoneKeys: readonly string[]): Promise<void> {
      if (phoneKeys.length === 0) return;
      await hold(tx, phoneKeys);
      await tx.run(`DELETE FROM preference_state WHERE ${inList('phone_key')}`, [list(phoneKeys)]);
      const rows = await tx.all<PreferenceRow & { phoneKey: string; scope: string }>(`${PREFERENCE_HISTORY} AND ${inList('phone_key')}`, [list(phoneKeys)]);
      await insertPreferenceWinners(tx, preferenceWinners(rows.map((row) => ({ ...preferenceOf(row), phoneKey: row.phoneKey, scope: row.scope }))));
    },

    /** May `businessId` send `purposeId` to the number with this phone key? From the state table, one indexed read. */
    async check(businessId: string, item: CheckItem): Promise<CheckAnswer> {
      return answer(await db.all<StateRow>(checkOne, [item.phoneKey, businessId, item.purposeId, item.phoneKey, businessId]), item);
    },

    /** The same for many numbers at once (a campaign), one read for all of them; answers in the order asked. */
    async checkMany(businessId: string, items: readonly CheckItem[]): Promise<CheckAnswer[]> {
      const keys = list([...new Set(items.map((item) => item.phoneKey))]);
      const purposes = new Set(items.map((item) => item.purposeId));
      const rows =
        purposes.size === 1
          ? await db.all<StateRow>(checkManyOfPurpose, [keys, businessId, items[0]!.purposeId, keys, businessId])
          : await db.all<StateRow>(checkManyOfPurposes, [keys, businessId, keys, businessId]);
      const byNumber = new Map(grouped(rows, (row) => row.phoneKey).map((group) => [group[0]!.phoneKey, group]));
      return items.map((item) => answer(byNumber.get(item.phoneKey) ?? [], item));
    },
  };
}

export type ConsentStates = ReturnType<typeof createConsentStates>;
