import type Database from 'better-sqlite3';
import type { ConsentEvent, SubjectOpening } from '../../shared/contract/consent-event.ts';
import type { PhoneKey } from './phone-key.ts';

/** One line of the audit export: the event exactly as signed, its opening if still held, and the key to verify it. */
export interface AuditRecord {
  event: ConsentEvent;
  subject: SubjectOpening | null;
  device: { id: string; keyId: string; publicKey: string };
  receivedAt: string;
  clockOffsetMs: number;
}

export type AuditFilter = { phone: string } | { from: string; to: string };

interface Row {
  rowid: number;
  body: string;
  sig: string;
  deviceId: string;
  keyId: string;
  publicKey: string;
  receivedAt: string;
  clockOffsetMs: number;
  phone: string | null;
  customerRef: string | null;
  salt: string | null;
}

const COLUMNS = `e.rowid AS rowid, e.body, e.sig, e.device_id AS deviceId, e.key_id AS keyId, k.public_key AS publicKey,
  e.received_at AS receivedAt, e.clock_offset_ms AS clockOffsetMs, s.phone, s.customer_ref AS customerRef, s.salt`;

/** Stored events page by page (never the whole table in memory), by number or by capture period. */
export function createAuditExport(db: Database.Database, phoneKey: PhoneKey) {
  const byPhone = db.prepare(`
    SELECT ${COLUMNS} FROM subjects s JOIN events e ON e.commitment = s.commitment JOIN device_keys k ON k.key_id = e.key_id
    WHERE s.phone_key = @key AND e.rowid > @after ORDER BY e.rowid LIMIT @limit`);
  const byPeriod = db.prepare(`
    SELECT ${COLUMNS} FROM events e JOIN device_keys k ON k.key_id = e.key_id LEFT JOIN subjects s ON s.commitment = e.commitment
    WHERE e.captured_at >= @from AND e.captured_at < @to AND e.rowid > @after ORDER BY e.rowid LIMIT @limit`);

  const toRecord = (row: Row): AuditRecord => ({
    event: { ...(JSON.parse(row.body) as Omit<ConsentEvent, 'sig'>), sig: row.sig },
    subject:
      row.phone === null || row.salt === null
        ? null
        : { phone: row.phone, ...(row.customerRef === null ? {} : { customerRef: row.customerRef }), salt: row.salt },
    device: { id: row.deviceId, keyId: row.keyId, publicKey: row.publicKey },
    receivedAt: row.receivedAt,
    clockOffsetMs: row.clockOffsetMs,
  });

  return {
    *records(filter: AuditFilter, pageSize = 500): Generator<AuditRecord[]> {
      let after = 0;
      for (;;) {
        const rows = (
          'phone' in filter
            ? byPhone.all({ key: phoneKey(filter.phone), after, limit: pageSize })
            : byPeriod.all({ from: filter.from, to: filter.to, after, limit: pageSize })
        ) as Row[];
        if (rows.length === 0) return;
        after = rows.at(-1)!.rowid;
        yield rows.map(toRecord);
      }
    },
  };
}
