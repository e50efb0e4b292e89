import type Database from 'better-sqlite3';
import { ConsentEventBody, GENESIS_HASH } from '../../shared/contract/consent-event.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { readDevice } from './device-identity.ts';
import { keyIdOf, publicKeyFromRaw, sha256Hex, verifySignature } from './event-signing.ts';
import { checkIntegrity } from './open-database.ts';
import { commitmentOf, unsealOpening } from './personal-data.ts';
import { withStorageErrors } from './storage-errors.ts';

export type ChainProblem =
  | 'file_damaged'
  | 'key_mismatch'
  | 'missing_sequence'
  | 'body_not_parseable'
  | 'body_not_canonical'
  | 'reordered'
  | 'hash_mismatch'
  | 'bad_signature'
  | 'prev_mismatch'
  | 'foreign_device'
  | 'opening_mismatch'
  | 'truncated'
  | 'head_mismatch';

export type ChainBreak = { seq: number | null; eventId: string | null; problem: ChainProblem; message: string };

export type VerifyReport =
  | { ok: true; events: number; head: { seq: number; hash: string } | null; openingsChecked: number }
  | { ok: false; events: number; break: ChainBreak };

export type VerifyOptions = {
  /** The public key the device's key vault holds; the ledger's own record of it must match. */
  expectedPublicKey?: Buffer;
  /** With the data key, every stored opening is also checked against its event's commitment. */
  dataKey?: Buffer;
};

type Row = { seq: number; id: string; body: string; hash: string; sig: string; sealed: Buffer | null };

/**
 * Re-checks every signature and chain link, one row at a time (memory stays flat however long the ledger), and
 * names the first break. See docs/event-format.md for what this can and cannot detect.
 */
export function verifyChain(db: Database.Database, options: VerifyOptions = {}): VerifyReport {
  return withStorageErrors(() => db.transaction(() => verifyInSnapshot(db, options))());
}

function verifyInSnapshot(db: Database.Database, options: VerifyOptions): VerifyReport {
  let events = 0;
  const broken = (problem: ChainProblem, message: string, seq: number | null = null, eventId: string | null = null) =>
    ({ ok: false, events, break: { seq, eventId, problem, message } }) as const;

  const damage = checkIntegrity(db, 'quick');
  if (damage.length > 0) return broken('file_damaged', `SQLite reports the file damaged: ${damage[0]}`);

  const head = db.prepare('SELECT seq, hash FROM chain_head WHERE singleton = 1').get() as
    | { seq: number; hash: string }
    | undefined;
  const device = readDevice(db);
  if (!device) {
    if (!head || head.seq === 0) return { ok: true, events: 0, head: null, openingsChecked: 0 };
    return broken('key_mismatch', 'The ledger has events but no record of the device that signed them.');
  }
  if (keyIdOf(device.publicKey) !== device.keyId) {
    return broken('key_mismatch', `The recorded key id ${device.keyId} does not belong to the recorded public key.`);
  }
  if (options.expectedPublicKey && !options.expectedPublicKey.equals(device.publicKey)) {
    return broken('key_mismatch', "The ledger's public key is not the one in the device key vault.");
  }
  const publicKey = publicKeyFromRaw(device.publicKey);

  let prevHash = GENESIS_HASH;
  let lastSeq = 0;
  let openingsChecked = 0;
  const rows = db
    .prepare(
      'SELECT seq, id, body, hash, sig, opening AS sealed FROM events ORDER BY seq',
    )
    .iterate() as IterableIterator<Row>;
  for (const row of rows) {
    const at = (problem: ChainProblem, message: string) => broken(problem, `seq ${row.seq} (${row.id}): ${message}`, row.seq, row.id);
    if (row.seq !== lastSeq + 1) {
      return broken('missing_sequence', `seq ${lastSeq + 1} is missing; the next event present is seq ${row.seq} (${row.id}).`, lastSeq + 1, null);
    }
    let body: ConsentEventBody;
    try {
      const parsed = ConsentEventBody.safeParse(JSON.parse(row.body));
      if (!parsed.success) return at('body_not_parseable', `the body is not a valid event (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}).`);
      body = parsed.data;
    } catch {
      return at('body_not_parseable', 'the body is not JSON.');
    }
    if (canonicalJson(body) !== row.body) return at('body_not_canonical', 'the body is not in canonical form, so it was not written by the kiosk.');
    if (body.seq !== row.seq || body.id !== row.id) {
      return at('reordered', `the row holds the event signed as seq ${body.seq} (${body.id}); events were moved or swapped.`);
    }
    if (sha256Hex(row.body) !== row.hash) return at('hash_mismatch', 'the body no longer matches its recorded hash; it was changed after it was written.');
    if (!verifySignature(Buffer.from(row.body, 'utf8'), row.sig, publicKey)) {
      return at('bad_signature', "the signature does not verify with the device's public key.");
    }
    if (body.prev !== prevHash) return at('prev_mismatch', 'prev does not match the hash of the event before it; the chain was broken here.');
    if (body.device.id !== device.deviceId || body.device.keyId !== device.keyId) {
      return at('foreign_device', 'the event names another device or key.');
    }
    if (options.dataKey && row.sealed) {
      const opening = unsealOpening(options.dataKey, row.id, row.sealed);
      if (!opening || commitmentOf(opening) !== body.subject.commitment) {
        return at('opening_mismatch', "the stored personal data does not match the event's commitment.");
      }
      openingsChecked += 1;
    }
    prevHash = row.hash;
    lastSeq = row.seq;
    events += 1;
  }

  if (!head) return broken('head_mismatch', 'The chain head record is missing.');
  if (head.seq > lastSeq) {
    return broken('truncated', `The ledger ends at seq ${lastSeq} but its head records seq ${head.seq}: events were removed from the end.`, lastSeq + 1);
  }
  if (head.seq < lastSeq || head.hash !== prevHash) {
    return broken('head_mismatch', `The recorded chain head (seq ${head.seq}) does not match the last event (seq ${lastSeq}).`, lastSeq);
  }
  return { ok: true, events, head: lastSeq === 0 ? null : { seq: lastSeq, hash: prevHash }, openingsChecked };
}
