import type { ChainEvent } from '../../shared/contract/chain-event.ts';
import { SubjectOpening } from '../../shared/contract/consent-event.ts';
import type { Placement } from '../../shared/contract/primitives.ts';
import type { TimeQuality } from '../../shared/contract/sync.ts';
import type { DataKey } from '../keys/data-key.ts';
import type { DeviceRegistry } from './device-registry.ts';
import type { WhatsAppAuditEntry, WhatsAppLog } from './whatsapp-log.ts';
import type { SqlQueries } from './sql.ts';

/**
 * One chain event as an auditor needs it: exactly as signed, its opening if still held, the key to verify it
 * (check it against GET /v1/devices/{id}/keys), where the terminal stood, and how far its time is evidence.
 */
export interface ChainEventRecord {
  record: 'chain_event';
  event: ChainEvent;
  subject: SubjectOpening | null;
  businessId: string | null;
  device: { id: string; keyId: string; publicKey: string; placement: Placement | null; label: string | null };
  receivedAt: string;
  time: {
    effectiveAt: string;
    quality: TimeQuality;
    /** The hard bounds: the event cannot have been made before `earliest` or after `latest`. */
    earliest: string;
    latest: string;
    /** The device said its clock was not known to be good when it signed. */
    clockNotKnownGood: boolean;
    /** The same-boot clock observation the monotonic clock was measured from, if any. */
    placedBy: { seq: number; issuedAt: string } | null;
    toleranceMs: number;
  };
}

export type AuditRecord =
  | ChainEventRecord
  | ({ record: 'whatsapp_change' } & WhatsAppAuditEntry)
  | ({ record: 'pending_whatsapp_change'; businessId: string } & WhatsAppAuditEntry);

export type AuditFilter = { businessId: string; phone: string } | { from: string; to: string; businessId?: string };

interface Row {
  rowid: number;
  seq: number;
  body: string;
  sig: string;
  commitment: string | null;
  businessId: string | null;
  deviceId: string;
  keyId: string;
  publicKey: string;
  receivedMs: number;
  opening: Buffer | null;
  effectiveMs: number;
  quality: TimeQuality;
  earliestMs: number;
  latestMs: number;
  knownGood: number;
  placedBySeq: number | null;
  placeIssuedMs: number | null;
  toleranceMs: number;
}

// `rowid`: SQLite's own, PostgreSQL's identity column of that name — the order events were stored in
const COLUMNS = `e.rowid AS rowid, e.seq, e.body, e.sig, e.commitment, e.business_id AS "businessId", e.device_id AS "deviceId", e.key_id AS "keyId",
  k.public_key AS "publicKey", t.received_ms AS "receivedMs", s.opening, t.effective_ms AS "effectiveMs", t.quality, t.earliest_ms AS "earliestMs",
  t.latest_ms AS "latestMs", t.known_good AS "knownGood", t.placed_by_seq AS "placedBySeq", t.place_issued_ms AS "placeIssuedMs", t.tolerance_ms AS "toleranceMs"`;
const JOINS = `JOIN device_keys k ON k.key_id = e.key_id JOIN event_times t ON t.device_id = e.device_id AND t.seq = e.seq`;
const BY_PHONE = `SELECT ${COLUMNS} FROM subjects s JOIN events e ON e.commitment = s.commitment ${JOINS}
  WHERE s.phone_key = ? AND e.business_id = ? AND e.rowid > ? ORDER BY e.rowid LIMIT ?`;
// In chain order (device, then seq), one pass over the table: an index on effective time would cost every ingest.
const BY_PERIOD = `SELECT ${COLUMNS} FROM event_times t JOIN events e ON e.device_id = t.device_id AND e.seq = t.seq
    JOIN device_keys k ON k.key_id = e.key_id LEFT JOIN subjects s ON s.commitment = e.commitment
  WHERE (t.device_id, t.seq) > (?, ?) AND t.effective_ms >= ? AND t.effective_ms < ? AND (CAST(? AS TEXT) IS NULL OR e.business_id = ?)
  ORDER BY t.device_id, t.seq LIMIT ?`;

const iso = (ms: number): string => new Date(ms).toISOString();
const labelOf = (placement: Placement | null): string | null => (placement ? `${placement.terminalId} at ${placement.siteName}` : null);

/**
 * The audit: a subject's record with one business (every consent event, every WhatsApp-originated change with the
 * delivery as received, and the business's changes still waiting for a user id to be mapped), or every chain
 * event that took effect in a period, device by device in chain order. Page by page, never the whole table in
 * memory, in a fixed order.
 */
export function createAuditExport(db: SqlQueries, { dataKey, devices, whatsapp }: { dataKey: DataKey; devices: DeviceRegistry; whatsapp: WhatsAppLog }) {
  const toRecord = async (row: Row): Promise<ChainEventRecord> => {
    const placement = await devices.placementAt(row.deviceId, iso(row.effectiveMs));
    return {
      record: 'chain_event',
      event: { ...(JSON.parse(row.body) as Omit<ChainEvent, 'sig'>), sig: row.sig } as ChainEvent,
      subject: row.opening === null ? null : SubjectOpening.parse(JSON.parse(dataKey.open(row.opening, `opening:${row.commitment}`).toString('utf8'))),
      businessId: row.businessId,
      device: { id: row.deviceId, keyId: row.keyId, publicKey: row.publicKey, placement, label: labelOf(placement) },
      receivedAt: iso(row.receivedMs),
      time: {
        effectiveAt: iso(row.effectiveMs),
        quality: row.quality,
        earliest: iso(row.earliestMs),
        latest: iso(row.latestMs),
        clockNotKnownGood: row.knownGood === 0,
        placedBy: row.placedBySeq === null ? null : { seq: row.placedBySeq, issuedAt: iso(row.placeIssuedMs!) },
        toleranceMs: row.toleranceMs,
      },
    };
  };

  async function* pages(next: (after: Row | null) => Promise<Row[]>): AsyncGenerator<AuditRecord[]> {
    let after: Row | null = null;
    for (;;) {
      const rows = await next(after);
      if (rows.length === 0) return;
      after = rows.at(-1)!;
      yield await Promise.all(rows.map(toRecord));
    }
  }

  return {
    async *records(filter: AuditFilter, pageSize = 500): AsyncGenerator<AuditRecord[]> {
      if ('phone' in filter) {
        const key = dataKey.lookup(filter.phone);
        yield* pages((after) => db.all<Row>(BY_PHONE, [key, filter.businessId, after?.rowid ?? 0, pageSize]));
        yield (await whatsapp.changesFor(filter.businessId, filter.phone)).map((entry) => ({ record: 'whatsapp_change' as const, ...entry }));
        yield (await whatsapp.pendingFor(filter.businessId)).map((entry) => ({ record: 'pending_whatsapp_change' as const, businessId: filter.businessId, ...entry }));
        return;
      }
      const from = Date.parse(filter.from);
      const to = Date.parse(filter.to);
      const businessId = filter.businessId ?? null;
      yield* pages((after) => db.all<Row>(BY_PERIOD, [after?.deviceId ?? '', after?.seq ?? 0, from, to, businessId, businessId, pageSize]));
    },
  };
}
