import type { DataKey } from '../keys/data-key.ts';
import type { ConsentStates } from './consent-states.ts';
import type { OperatorLog } from './operator-log.ts';
import type { SqlDb } from './sql.ts';

export interface ErasureOutcome {
  /** Subject openings (phone, customer reference, salt) deleted; their signed events stay, verifiable. */
  openings: number;
  whatsappChanges: number;
  /** Webhook deliveries whose raw payload (which held the number) was deleted; their hash and signature stay. */
  deliveries: number;
  userIds: number;
}

/**
 * Erases a subject's personal data, with one business or with all: the openings of their consent events (a
 * tombstone keeps the commitment, so an opening uploaded again is not stored again), their WhatsApp changes, the
 * payloads those came in, and their user-id mappings. The signed events stay stored and verifiable; what remains
 * names no one, so every check for the number answers `unknown` afterwards — never allowed. `afterErasure` runs once
 * it is committed (SQLite truncates its WAL, which still holds the pages as they were).
 */
export function createErasure(
  db: SqlDb,
  { dataKey, operators, states, now, afterErasure }: { dataKey: DataKey; operators: OperatorLog; states: ConsentStates; now: () => Date; afterErasure: () => void },
) {
  // `CAST(? AS TEXT) IS NULL`: with every business
  const eraseInTransaction = (phone: string, businessId: string | null) =>
    db.transaction(async (tx): Promise<ErasureOutcome> => {
      const at = now().toISOString();
      const key = dataKey.lookup(phone);
      await tx.lock([`subject:${key}`]);
      const commitments = await tx.all<{ commitment: string }>(
        `SELECT s.commitment FROM subjects s WHERE s.phone_key = ?
          AND (CAST(? AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM events e WHERE e.commitment = s.commitment AND e.business_id = ?))`,
        [key, businessId, businessId],
      );
      for (const { commitment } of commitments) {
        await tx.run('INSERT INTO erased_subjects (commitment, erased_at) VALUES (?, ?) ON CONFLICT DO NOTHING', [commitment, at]);
        await tx.run('DELETE FROM subjects WHERE commitment = ?', [commitment]);
      }
      const deliveries = await tx.run(
        `UPDATE whatsapp_deliveries SET payload = NULL, erased_at = ? WHERE payload IS NOT NULL AND id IN (
          SELECT delivery_id FROM whatsapp_preferences WHERE phone_key = ? AND (CAST(? AS TEXT) IS NULL OR business_id = ?)
          UNION SELECT delivery_id FROM whatsapp_user_ids WHERE phone_key = ? AND (CAST(? AS TEXT) IS NULL OR business_id = ?))`,
        [at, key, businessId, businessId, key, businessId, businessId],
      );
      const changes = await tx.run('DELETE FROM whatsapp_preferences WHERE phone_key = ? AND (CAST(? AS TEXT) IS NULL OR business_id = ?)', [key, businessId, businessId]);
      const userIds = await tx.run('DELETE FROM whatsapp_user_ids WHERE phone_key = ? AND (CAST(? AS TEXT) IS NULL OR business_id = ?)', [key, businessId, businessId]);
      const outcome: ErasureOutcome = { openings: commitments.length, deliveries: deliveries.changes, whatsappChanges: changes.changes, userIds: userIds.changes };
      // what remains of the number's history (with other businesses) decides its state from now on
      await states.refreshKiosk(tx, [key]);
      await states.refreshPreferences(tx, [key]);
      await operators.record(tx, 'subject_erased', businessId, { ...outcome });
      return outcome;
    });

  return {
    async erase(phone: string, businessId: string | null): Promise<ErasureOutcome> {
      const outcome = await eraseInTransaction(phone, businessId);
      afterErasure();
      return outcome;
    },
  };
}

export type Erasure = ReturnType<typeof createErasure>;
