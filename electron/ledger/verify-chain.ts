import type Database from 'better-sqlite3';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { ChainEventBody, chainEventType, isConsent, type ChainEventType } from '../../shared/contract/chain-event.ts';
import { GENESIS_HASH } from '../../shared/contract/consent-event.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { readDeviceKeys, readDeviceRow, type DeviceKey } from './device-identity.ts';
import { keyIdOf, publicKeyFromRaw, sha256Hex, verifySignature } from './event-signing.ts';
import { checkIntegrity } from './open-database.ts';
import { commitmentOf, unsealOpening } from './personal-data.ts';
import { asStorageFailure, withStorageErrors } from './storage-errors.ts';

export type ChainProblem =
  | 'file_damaged'
  | 'device_missing'
  | 'key_mismatch'
  | 'missing_sequence'
  | 'body_not_parseable'
  | 'body_not_canonical'
  | 'reordered'
  | 'hash_mismatch'
  | 'bad_signature'
  | 'prev_mismatch'
  | 'foreign_device'
  | 'rotation_mismatch'
  | 'observation_mismatch'
  | 'clock_regressed'
  | 'opening_mismatch'
  | 'truncated'
  | 'head_mismatch';

export type ChainBreak = { seq: number | null; eventId: string | null; problem: ChainProblem; message: string };

/** How many events of each type the chain holds: only consents are consents. */
export type ChainCounts = Record<ChainEventType, number>;

export type VerifyReport =
  | { ok: true; events: number; counts: ChainCounts; head: { seq: number; hash: string } | null; openingsChecked: number }
  | { ok: false; events: number; break: ChainBreak };

export type VerifyOptions = {
  /** The public key the device's key vault holds now; the ledger's current key must be it. */
  expectedPublicKey?: Buffer;
  /** With the data key, every stored opening is also checked against its event's commitment. */
  dataKey?: Buffer;
};

type Row = { seq: number; id: string; body: string; hash: string; sig: string; sealed: Buffer | null };

/**
 * Re-checks every signature and chain link, one row at a time (memory stays flat however long the ledger), and
 * names the first break. Each event is checked against the key valid for its seq: the device's first key, then the
 * key each key rotation named. See docs/event-format.md for what this can and cannot detect.
 */
export function verifyChain(db: Database.Database, options: VerifyOptions = {}): VerifyReport {
  return withStorageErrors(() => {
    try {
      return db.transaction(() => verifyInSnapshot(db, options))();
    } catch (error) {
      // damage SQLite meets while reading (its check included), not only damage its check lists, is the finding
      const failure = asStorageFailure(error);
      if (!(failure instanceof KioskFailure) || failure.code !== 'ledger_corrupt') throw error;
      const message = `The file is damaged: ${error instanceof Error ? error.message : String(error)}`;
      return { ok: false, events: 0, break: { seq: null, eventId: null, problem: 'file_damaged', message } };
    }
  });
}

const emptyCounts = (): ChainCounts => ({ consent: 0, clock_observation: 0, key_rotation: 0, service: 0 });

function verifyInSnapshot(db: Database.Database, options: VerifyOptions): VerifyReport {
  let events = 0;
  const counts = emptyCounts();
  const broken = (problem: ChainProblem, message: string, seq: number | null = null, eventId: string | null = null) =>
    ({ ok: false, events, break: { seq, eventId, problem, message } }) as const;

  const damage = checkIntegrity(db);
  if (damage.length > 0) {
    const first = damage.join('; ').replace(/\s*\n\s*/g, '; ').slice(0, 300);
    return broken('file_damaged', `SQLite reports the file damaged: ${first}`);
  }

  const head = db.prepare('SELECT seq, hash FROM chain_head WHERE singleton = 1').get() as
    | { seq: number; hash: string }
    | undefined;
  const device = readDeviceRow(db);
  if (!device) {
    const anyEvent = db.prepare('SELECT 1 FROM events LIMIT 1').get() !== undefined;
    if (!anyEvent && (!head || head.seq === 0)) return { ok: true, events: 0, counts, head: null, openingsChecked: 0 };
    return broken('device_missing', 'The ledger has events but no record of the device that signed them.');
  }
  const keys = readDeviceKeys(db);
  const keyProblem = checkKeys(device, keys);
  if (keyProblem) return broken('key_mismatch', keyProblem);
  const keysFrom = new Map(keys.map((key) => [key.fromSeq, key]));
  let key = keys[0]!;
  let verifier = publicKeyFromRaw(key.publicKey);

  let prevHash = GENESIS_HASH;
  let lastSeq = 0;
  let openingsChecked = 0;
  const lastMonoOfBoot = new Map<string, number>();
  const rows = db
    .prepare('SELECT seq, id, body, hash, sig, opening AS sealed FROM events ORDER BY seq')
    .iterate() as IterableIterator<Row>;
  for (const row of rows) {
    const at = (problem: ChainProblem, message: string) => broken(problem, `seq ${row.seq} (${row.id}): ${message}`, row.seq, row.id);
    if (row.seq !== lastSeq + 1) {
      return broken('missing_sequence', `seq ${lastSeq + 1} is missing; the next event present is seq ${row.seq} (${row.id}).`, lastSeq + 1, null);
    }
    const rotatedTo = keysFrom.get(row.seq);
    if (rotatedTo) {
      key = rotatedTo;
      verifier = publicKeyFromRaw(key.publicKey);
    }
    let body: ChainEventBody;
    try {
      const parsed = ChainEventBody.safeParse(JSON.parse(row.body));
      if (!parsed.success) {
        // zod reports at least one issue whenever parsing fails
        const issue = parsed.error.issues[0]!;
        return at('body_not_parseable', `the body is not a valid event (${issue.path.join('.')}: ${issue.message}).`);
      }
      body = parsed.data;
    } catch {
      return at('body_not_parseable', 'the body is not JSON.');
    }
    if (canonicalJson(body) !== row.body) return at('body_not_canonical', 'the body is not in canonical form, so it was not written by the kiosk.');
    if (body.seq !== row.seq || body.id !== row.id) {
      return at('reordered', `the row holds the event signed as seq ${body.seq} (${body.id}); events were moved or swapped.`);
    }
    if (sha256Hex(row.body) !== row.hash) return at('hash_mismatch', 'the body no longer matches its recorded hash; it was changed after it was written.');
    if (!verifySignature(Buffer.from(row.body), row.sig, verifier)) {
      return at('bad_signature', `the signature does not verify with the device key valid for this seq (${key.keyId}).`);
    }
    if (body.prev !== prevHash) return at('prev_mismatch', 'prev does not match the hash of the event before it; the chain was broken here.');
    if (body.device.id !== device.deviceId || body.device.keyId !== key.keyId) {
      return at('foreign_device', 'the event names another device or key.');
    }
    const nextKey = keysFrom.get(row.seq + 1);
    if (body.v === 2 && body.type === 'key_rotation') {
      if (!nextKey || nextKey.keyId !== body.next.keyId || nextKey.publicKey.toString('base64url') !== body.next.publicKey) {
        return at('rotation_mismatch', `the key rotation names key ${body.next.keyId}, but the ledger records another key from seq ${row.seq + 1}.`);
      }
    } else if (nextKey) {
      return at('rotation_mismatch', `the ledger records key ${nextKey.keyId} from seq ${row.seq + 1}, but this event is not a key rotation naming it.`);
    }
    if (body.v === 2) {
      const lastMono = lastMonoOfBoot.get(body.clock.bootId);
      if (lastMono !== undefined && body.clock.monoMs < lastMono) {
        return at('clock_regressed', `the monotonic clock went back from ${lastMono} to ${body.clock.monoMs} ms within one boot.`);
      }
      lastMonoOfBoot.set(body.clock.bootId, body.clock.monoMs);
    }
    if (body.v === 2 && body.type === 'clock_observation') {
      const { sent, received, statement, clock } = body;
      if (statement.statement.deviceId !== device.deviceId) return at('observation_mismatch', "the recorded API statement is about another device.");
      if (!(sent.monoMs <= received.monoMs && received.monoMs <= clock.monoMs)) {
        return at('observation_mismatch', 'the request was not sent before its answer came and the observation was recorded.');
      }
    }
    if (isConsent(body)) {
      if (options.dataKey && row.sealed) {
        const opening = unsealOpening(options.dataKey, row.id, row.sealed);
        if (!opening || commitmentOf(opening) !== body.subject.commitment) {
          return at('opening_mismatch', "the stored personal data does not match the event's commitment.");
        }
        openingsChecked += 1;
      }
    } else if (row.sealed) {
      return at('opening_mismatch', 'an event that is not a consent carries personal data.');
    }
    counts[chainEventType(body)] += 1;
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
  const unnamed = keys.find((candidate) => candidate.fromSeq > lastSeq + 1);
  if (unnamed) return broken('rotation_mismatch', `The ledger records key ${unnamed.keyId} from seq ${unnamed.fromSeq}, which no key rotation named.`);
  // last, so that a key list bent along the way is named where the chain shows it
  if (options.expectedPublicKey && !options.expectedPublicKey.equals(keys.at(-1)!.publicKey)) {
    return broken('key_mismatch', "The ledger's current public key is not the one in the device key vault: its events were signed by another key.");
  }
  return { ok: true, events, counts, head: lastSeq === 0 ? null : { seq: lastSeq, hash: prevHash }, openingsChecked };
}

/** The device's keys: the first is the device row's, and each id belongs to its key. */
function checkKeys(device: { keyId: string; publicKey: Buffer }, keys: DeviceKey[]): string | null {
  const first = keys[0];
  if (!first || first.fromSeq !== 1 || first.keyId !== device.keyId || !first.publicKey.equals(device.publicKey)) {
    return "The ledger's key list does not start with the device's first key.";
  }
  const foreign = keys.find((key) => keyIdOf(key.publicKey) !== key.keyId);
  return foreign ? `The recorded key id ${foreign.keyId} does not belong to the recorded public key.` : null;
}
