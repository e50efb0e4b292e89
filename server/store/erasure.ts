import type Database from 'better-sqlite3';
import type { DataKey } from '../keys/data-key.ts';
import type { OperatorLog } from './operator-log.ts';

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
 * names no one, so every check for the number answers `unknown` afterwards — never allowed.
 */
export function createErasure(db: Database.Database, { dataKey, operators, now }: { dataKey: DataKey; operators: OperatorLog; now: () => Date }) {
  const selectCommitments = db.prepare(`
    SELECT s.commitment FROM subjects s WHERE s.phone_key = @key
      AND (@businessId IS NULL OR EXISTS (SELECT 1 FROM events e WHERE e.commitment = s.commitment AND e.business_id = @businessId))`).pluck();
  const tombstone = db.prepare('INSERT OR IGNORE INTO erased_subjects (commitment, erased_at) VALUES (?, ?)');
  const deleteOpening = db.prepare('DELETE FROM subjects WHERE commitment = ?');
  const eraseDeliveries = db.prepare(`
    UPDATE whatsapp_deliveries SET payload = NULL, erased_at = @at WHERE payload IS NOT NULL AND id IN (
      SELECT delivery_id FROM whatsapp_preferences WHERE phone_key = @key AND (@businessId IS NULL OR business_id = @businessId)
      UNION SELECT delivery_id FROM whatsapp_user_ids WHERE phone_key = @key AND (@businessId IS NULL OR business_id = @businessId))`);
  const deleteChanges = db.prepare(
    'DELETE FROM whatsapp_preferences WHERE phone_key = @key AND (@businessId IS NULL OR business_id = @businessId)',
  );
  const deleteUserIds = db.prepare('DELETE FROM whatsapp_user_ids WHERE phone_key = @key AND (@businessId IS NULL OR business_id = @businessId)');

  const eraseInTransaction = db.transaction((phone: string, businessId: string | null): ErasureOutcome => {
    const at = now().toISOString();
    const key = dataKey.lookup(phone);
    const commitments = selectCommitments.all({ key, businessId }) as string[];
    for (const commitment of commitments) {
      tombstone.run(commitment, at);
      deleteOpening.run(commitment);
    }
    const outcome: ErasureOutcome = {
      openings: commitments.length,
      deliveries: eraseDeliveries.run({ key, businessId, at }).changes,
      whatsappChanges: deleteChanges.run({ key, businessId }).changes,
      userIds: deleteUserIds.run({ key, businessId }).changes,
    };
    operators.record('subject_erased', businessId, { ...outcome });
    return outcome;
  });

  return {
    erase(phone: string, businessId: string | null): ErasureOutcome {
      const outcome = eraseInTransaction(phone, businessId);
      // secure_delete zeroed the freed cells; the WAL still holds the pages as they were until it is truncated
      db.pragma('wal_checkpoint(TRUNCATE)');
      return outcome;
    },
  };
}

export type Erasure = ReturnType<typeof createErasure>;
