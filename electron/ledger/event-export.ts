import type Database from 'better-sqlite3';
import type { ConsentEvent, SubjectOpening } from '../../shared/contract/consent-event.ts';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { readDevice } from './device-identity.ts';
import { publicKeyFromRaw } from './event-signing.ts';
import { unsealOpening } from './personal-data.ts';

export const EXPORT_FORMAT = 'consent-kiosk-ledger/1';

export type ExportHeader = {
  record: 'header';
  format: typeof EXPORT_FORMAT;
  deviceId: string;
  keyId: string;
  publicKey: { raw: string; pem: string };
  exportedAt: string;
  containsPersonalData: boolean;
};

export type ExportedEvent = {
  record: 'event';
  event: ConsentEvent;
  hash: string;
  sync: { state: 'pending' | 'synced' | 'dead'; syncedAt: string | null };
  /** Present only in exports with personal data; null once retention erased it. */
  subject?: SubjectOpening | null;
};

type Row = { id: string; body: string; hash: string; sig: string; sealed: Buffer | null; state: ExportedEvent['sync']['state']; synced_at: number | null };

/**
 * The header (device key, so an auditor needs nothing else), then every event in sequence order, streamed.
 * With `dataKey`, each event carries its decrypted subject opening: that export contains personal data.
 */
export function* exportRecords(
  db: Database.Database,
  options: { dataKey: Buffer | null; now: Date },
): Generator<ExportHeader | ExportedEvent> {
  const device = readDevice(db);
  if (!device) throw new KioskFailure('not_found', 'The ledger has no device identity yet, so there is nothing to export.');
  yield {
    record: 'header',
    format: EXPORT_FORMAT,
    deviceId: device.deviceId,
    keyId: device.keyId,
    publicKey: {
      raw: device.publicKey.toString('base64url'),
      pem: publicKeyFromRaw(device.publicKey).export({ type: 'spki', format: 'pem' }).toString(),
    },
    exportedAt: options.now.toISOString(),
    containsPersonalData: options.dataKey !== null,
  };
  const rows = db
    .prepare(
      `SELECT e.id, e.body, e.hash, e.sig, e.opening AS sealed, o.state, o.synced_at FROM events e
       LEFT JOIN outbox o ON o.state IN ('pending', 'synced', 'dead') AND o.seq = e.seq ORDER BY e.seq`,
    )
    .iterate() as IterableIterator<Row>;
  for (const row of rows) {
    const exported: ExportedEvent = {
      record: 'event',
      event: { ...(JSON.parse(row.body) as Omit<ConsentEvent, 'sig'>), sig: row.sig },
      hash: row.hash,
      sync: { state: row.state, syncedAt: row.synced_at === null ? null : new Date(row.synced_at).toISOString() },
    };
    if (options.dataKey) exported.subject = row.sealed ? unsealOpening(options.dataKey, row.id, row.sealed) : null;
    yield exported;
  }
}
