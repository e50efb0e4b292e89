import type Database from 'better-sqlite3';
import { SignedApiStatement } from '../../shared/contract/api-statement.ts';
import type { ChainEvent } from '../../shared/contract/chain-event.ts';
import type { ExportBreak, ExportedApiStatement, ExportedChainEvent, ExportedHead, ExportHeader, ExportHeadStatement, ExportRecord } from '../../shared/contract/ledger-export.ts';
import { LEDGER_EXPORT_FORMAT } from '../../shared/contract/ledger-export.ts';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { readDeviceKeys, readDeviceRow } from './device-identity.ts';
import { publicKeyFromRaw } from './event-signing.ts';
import { unsealOpening } from './personal-data.ts';

export { LEDGER_EXPORT_FORMAT, type ExportHeader, type ExportRecord };

/** A consent as exported, for the receipt views: the chain's other events are never receipts. */
export type ExportedEvent = ExportedChainEvent & { event: Extract<ChainEvent, { subject: unknown }> };

export function isExportedConsent(record: ExportedChainEvent): record is ExportedEvent {
  return record.event.v === 1 || record.event.type === 'consent';
}

/** Signs the export's head statement: the device key as the exporting tool holds it. */
export type HeadSigner = { keyId: string; sign(bytes: Uint8Array): Buffer };

export type ExportOptions = {
  /** With the data key, each consent carries its decrypted subject opening: that export contains personal data. */
  dataKey: Buffer | null;
  now: Date;
  /** Without one, the head statement goes unsigned, with `unsigned` saying why. */
  signer: HeadSigner | { unsigned: string };
  /** The break `verify` found, when the export is made anyway: recorded in the header and the signed head. */
  breakage: ExportBreak | null;
};

type Row = { seq: number; id: string; body: string; hash: string; sig: string; sealed: Buffer | null; state: ExportedChainEvent['sync']['state']; synced_at: number | null };

const pem = (raw: Buffer) => publicKeyFromRaw(raw).export({ type: 'spki', format: 'pem' }).toString();

/**
 * The header (every device key with its seq range, so an auditor needs nothing else from the kiosk), every event in
 * sequence order (streamed), the API's latest statement, and the head statement signed by the device key.
 */
export function* exportRecords(db: Database.Database, options: ExportOptions): Generator<ExportRecord> {
  const device = readDeviceRow(db);
  if (!device) throw new KioskFailure('not_found', 'The ledger has no device identity yet, so there is nothing to export.');
  const keys = readDeviceKeys(db);
  const current = keys.at(-1) ?? { keyId: device.keyId, publicKey: device.publicKey };
  const exportedAt = options.now.toISOString();
  const header: ExportHeader = {
    record: 'header',
    format: LEDGER_EXPORT_FORMAT,
    deviceId: device.deviceId,
    keyId: current.keyId,
    publicKey: { raw: current.publicKey.toString('base64url'), pem: pem(current.publicKey) },
    keys: keys.map((key) => ({ keyId: key.keyId, raw: key.publicKey.toString('base64url'), pem: pem(key.publicKey), fromSeq: key.fromSeq })),
    exportedAt,
    containsPersonalData: options.dataKey !== null,
    ...(options.breakage ? { break: options.breakage } : {}),
  };
  yield header;

  const rows = db
    .prepare(
      `SELECT e.seq, e.id, e.body, e.hash, e.sig, e.opening AS sealed, coalesce(s.state, 'pending') AS state, s.synced_at
       FROM events e LEFT JOIN sync_state s ON s.seq = e.seq ORDER BY e.seq`,
    )
    .iterate() as IterableIterator<Row>;
  let last: { seq: number; hash: string } | null = null;
  let events = 0;
  for (const row of rows) {
    const exported: ExportedChainEvent = {
      record: 'event',
      event: storedEvent(row),
      hash: row.hash,
      sync: { state: row.state, syncedAt: row.synced_at === null ? null : new Date(row.synced_at).toISOString() },
    };
    if (options.dataKey && isExportedConsent(exported)) {
      exported.subject = row.sealed ? unsealOpening(options.dataKey, row.id, row.sealed) : null;
    }
    yield exported;
    last = { seq: row.seq, hash: row.hash };
    events += 1;
  }

  const stored = db.prepare('SELECT statement, received_at FROM api_statement WHERE singleton = 1').get() as
    | { statement: string; received_at: string }
    | undefined;
  const statement = stored ? SignedApiStatement.safeParse(JSON.parse(stored.statement)) : null;
  if (stored && statement?.success) {
    const confirmation: ExportedApiStatement = { record: 'api_statement', statement: statement.data, receivedAt: stored.received_at };
    yield confirmation;
  }

  const signer = options.signer;
  const headStatement: ExportHeadStatement = {
    v: 1,
    type: 'export_head',
    deviceId: device.deviceId,
    keyId: 'keyId' in signer ? signer.keyId : current.keyId,
    head: last,
    events,
    exportedAt,
    break: options.breakage,
  };
  const head: ExportedHead =
    'sign' in signer
      ? { record: 'head', statement: headStatement, sig: signer.sign(Buffer.from(canonicalJson(headStatement), 'utf8')).toString('base64url') }
      : { record: 'head', statement: headStatement, sig: null, unsigned: signer.unsigned };
  yield head;
}

/**
 * The event as stored: the signed body with its signature. Only a broken ledger (exported with --allow-broken)
 * can hold a body that is not JSON; it is exported as its text, so the auditor sees exactly what is there.
 */
function storedEvent(row: Row): ChainEvent {
  try {
    return { ...(JSON.parse(row.body) as Omit<ChainEvent, 'sig'>), sig: row.sig } as ChainEvent;
  } catch {
    return { seq: row.seq, unparsedBody: row.body, sig: row.sig } as unknown as ChainEvent;
  }
}
