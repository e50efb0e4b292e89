import type { UserIdMapping, WebhookChanges, WhatsAppChange } from '../consent/whatsapp-changes.ts';
import type { DataKey } from '../keys/data-key.ts';
import type { ConsentStates } from './consent-states.ts';
import type { SqlDb } from './sql.ts';

export interface RecordedDelivery {
  /** Changes stored for a number (now or, for a user id mapped by this delivery, just applied). */
  recorded: number;
  /** Changes naming a user id no payload has mapped to a number yet: stored, applied once one does. */
  pending: number;
  /** Earlier pending changes this delivery's mappings applied. */
  applied: number;
}

/** One WhatsApp-originated change as the audit shows it. */
export interface WhatsAppAuditEntry {
  value: 'stop' | 'resume';
  source: 'user_preferences' | 'error_131050';
  effectiveAt: string;
  claimedAt: string;
  receivedAt: string;
  /** When a change that named only a business-scoped user id was matched to the number; null if it named the number. */
  mappedAt: string | null;
  /** `signature`: the X-Hub-Signature-256 it arrived with, verified before anything was stored; `payload`: the body as received (null once erased). */
  delivery: { id: number; signature: string; signatureVerified: true; payload: string | null; erasedAt: string | null } | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

interface ChangeRow {
  value: 'stop' | 'resume';
  source: 'user_preferences' | 'error_131050';
  atMs: number;
  claimedMs: number;
  receivedAt: string;
  mappedAt: string | null;
  deliveryId: number | null;
  signature: string | null;
  payloadKey: string | null;
  payload: Buffer | null;
  erasedAt: string | null;
}

const CHANGE_COLUMNS = `p.value, p.source, p.at_ms AS "atMs", p.claimed_ms AS "claimedMs", p.received_at AS "receivedAt", p.mapped_at AS "mappedAt",
  d.id AS "deliveryId", d.signature, d.payload_key AS "payloadKey", d.payload, d.erased_at AS "erasedAt"`;
const SELECT_MAPPING = 'SELECT phone_key FROM whatsapp_user_ids WHERE business_id = ? AND user_key = ?';

/**
 * Every signed WhatsApp delivery that changed something, as received (sealed: it holds numbers), the changes it
 * made for each business, and the business-scoped user ids it mapped to numbers. A change that names only a user id
 * nobody has mapped yet is kept and applied the moment a payload maps it: never dropped.
 */
export function createWhatsAppLog(db: SqlDb, { dataKey, states, now }: { dataKey: DataKey; states: ConsentStates; now: () => Date }) {
  const userKey = (businessId: string, userId: string): string => dataKey.lookup(`user:${businessId}:${userId}`);
  // keyed, like every index over personal data: a plain hash of a number could be tested against every number
  const changeKey = (change: WhatsAppChange): string =>
    dataKey.lookup(JSON.stringify(['change', change.businessId, change.user.phone, change.user.userId, change.value, change.claimedMs, change.source]));

  const recordInTransaction = (raw: Buffer, signature: string, { changes, mappings }: WebhookChanges) =>
    db.transaction(async (tx): Promise<RecordedDelivery> => {
      const receivedAt = now().toISOString();
      const payloadKey = dataKey.lookup(`webhook:${raw.toString('base64')}`);
      await tx.run('INSERT INTO whatsapp_deliveries (received_at, payload_key, signature, payload) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
        receivedAt, payloadKey, signature, dataKey.seal(raw, `webhook:${payloadKey}`),
      ]);
      const deliveryId = (await tx.value<number>('SELECT id FROM whatsapp_deliveries WHERE payload_key = ?', [payloadKey]))!;
      // the numbers whose WhatsApp changes this delivery adds to (or maps): their state is recomputed
      const touched = new Set<string>();
      let applied = 0;
      for (const { businessId, userId, phone } of mappings as UserIdMapping[]) {
        const key = userKey(businessId, userId);
        await tx.run('INSERT INTO whatsapp_user_ids (business_id, user_key, phone_key, delivery_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
          businessId, key, dataKey.lookup(phone), deliveryId,
        ]);
        const mapped = (await tx.value<string>(SELECT_MAPPING, [businessId, key]))!;
        const { changes: now } = await tx.run('UPDATE whatsapp_preferences SET phone_key = ?, mapped_at = ? WHERE business_id = ? AND user_key = ? AND phone_key IS NULL', [
          mapped, receivedAt, businessId, key,
        ]);
        applied += now;
        if (now > 0) touched.add(mapped);
      }
      let recorded = 0;
      let pending = 0;
      for (const change of changes) {
        const key = change.user.userId === null ? null : userKey(change.businessId, change.user.userId);
        const mapped = change.user.phone === null && key !== null ? ((await tx.value<string>(SELECT_MAPPING, [change.businessId, key])) ?? null) : null;
        const phoneKey = change.user.phone === null ? mapped : dataKey.lookup(change.user.phone);
        const { changes: stored } = await tx.run(
          `INSERT INTO whatsapp_preferences (business_id, phone_key, user_key, value, at_ms, claimed_ms, source, received_at, delivery_id, change_key, mapped_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          [change.businessId, phoneKey, key, change.value, change.atMs, change.claimedMs, change.source, receivedAt, deliveryId, changeKey(change), mapped === null ? null : receivedAt],
        );
        if (stored === 0) continue;
        if (phoneKey === null) pending += 1;
        else {
          recorded += 1;
          touched.add(phoneKey);
        }
      }
      await states.refreshPreferences(tx, [...touched]);
      return { recorded, pending, applied };
    });

  const entryOf = (row: ChangeRow): WhatsAppAuditEntry => ({
    value: row.value,
    source: row.source,
    effectiveAt: iso(row.atMs),
    claimedAt: iso(row.claimedMs),
    receivedAt: row.receivedAt,
    mappedAt: row.mappedAt,
    delivery:
      row.deliveryId === null
        ? null
        : {
            id: row.deliveryId,
            signature: row.signature!,
            signatureVerified: true,
            payload: row.payload === null ? null : dataKey.open(row.payload, `webhook:${row.payloadKey}`).toString('utf8'),
            erasedAt: row.erasedAt,
          },
  });

  return {
    /** One signed delivery, whole or not at all; redeliveries (same bytes, same changes) count once. */
    async record(raw: Buffer, signature: string, changes: WebhookChanges): Promise<RecordedDelivery> {
      // a delivery that changes nothing (an ordinary message, a read receipt) is not kept: it may hold what people wrote
      if (changes.changes.length === 0 && changes.mappings.length === 0) return { recorded: 0, pending: 0, applied: 0 };
      return recordInTransaction(raw, signature, changes);
    },
    /** A number's WhatsApp changes with a business, with the deliveries they came in, for the audit. */
    changesFor: async (businessId: string, phone: string): Promise<WhatsAppAuditEntry[]> =>
      (
        await db.all<ChangeRow>(`SELECT ${CHANGE_COLUMNS} FROM whatsapp_preferences p LEFT JOIN whatsapp_deliveries d ON d.id = p.delivery_id
          WHERE p.phone_key = ? AND (p.business_id = ? OR (p.business_id IS NULL AND p.value = 'stop')) ORDER BY p.at_ms, p.value, p.source, p.id`, [dataKey.lookup(phone), businessId])
      ).map(entryOf),
    /** Changes with a business that name a user id not yet mapped to a number. */
    pendingFor: async (businessId: string): Promise<WhatsAppAuditEntry[]> =>
      (
        await db.all<ChangeRow>(`SELECT ${CHANGE_COLUMNS} FROM whatsapp_preferences p LEFT JOIN whatsapp_deliveries d ON d.id = p.delivery_id
          WHERE p.business_id = ? AND p.phone_key IS NULL ORDER BY p.at_ms, p.value, p.source, p.id`, [businessId])
      ).map(entryOf),
  };
}

export type WhatsAppLog = ReturnType<typeof createWhatsAppLog>;
