import { GENESIS_HASH } from '../../shared/contract/consent-event.ts';
import type { IngestResult } from '../../shared/contract/sync.ts';
import { reject, type VerifiedEvent } from '../ingest/verify-event.ts';
import type { StatementKey } from '../keys/statement-key.ts';
import type { DeviceRecord, DeviceRegistry } from './device-registry.ts';
import type { CorrectedRange, EventTimes, ObservationFault } from './event-times.ts';
import type { DataKey } from '../keys/data-key.ts';
import { canonicalOpening } from '../../shared/event-bytes.ts';
import type { ChainHead, ChainWrites, LockedDevice } from './chain-writes.ts';
import type { ConsentStates, StoredConsent } from './consent-states.ts';
import type { SqlDb, SqlTx } from './sql.ts';
import { ApiFailure } from '../http/api-failure.ts';

export type { ChainHead } from './chain-writes.ts';

interface HeldEvent {
  seq: number;
  id: string;
  hash: string;
  prev: string;
}

/** Events held beyond a gap: `fromSeq..toSeq` is missing, and has been since `sinceMs` (when the event after it came). */
export interface ChainGap {
  fromSeq: number;
  toSeq: number;
  sinceMs: number;
}

export interface StoredBatch {
  results: IngestResult[];
  /** The contiguous prefix the API now holds (what its statement names). */
  contiguous: ChainHead | null;
  gap: ChainGap | null;
  /** Observations stored but never used for time, by seq, for the log. */
  voidObservations: { seq: number; fault: ObservationFault }[];
}

/**
 * The device changed between the check of a batch and its storage (another request, or another API instance,
 * rotated or re-enrolled it): the batch is to be checked again against the device as it is now.
 */
export class DeviceChanged extends Error {}

/** What storing a batch needs of the device that uploaded it (its keys stay with the verify worker). */
export type StoringDevice = Pick<DeviceRecord, 'id' | 'credentialHash' | 'keyId' | 'businessIds' | 'enrolledMs'>;

const ID_TAKEN = Symbol('id taken');

interface DeviceChain {
  /** Highest stored event. */
  head: ChainHead | null;
  /** Highest seq s such that 1..s are all stored. */
  contiguous: ChainHead | null;
}

const SELECT_HIGHEST_BELOW = 'SELECT MAX(seq) FROM events WHERE device_id = ? AND seq < ?';
const SELECT_CONTIGUOUS = 'SELECT contiguous_seq AS seq, contiguous_hash AS hash FROM devices WHERE id = ?';
const SELECT_ABOVE = 'SELECT seq, hash FROM events WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT 1000';
const SELECT_RECEIVED_AT = 'SELECT received_ms FROM event_times WHERE device_id = ? AND seq = ?';
const RECORD_CHAIN = 'UPDATE devices SET contiguous_seq = ?, contiguous_hash = ?, last_ingest_at = ? WHERE id = ?';
/** Events a batch yields the event loop after, so that consent checks are answered while a large batch is stored. */
const YIELD_EVERY = 50;
const yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface EventStoreDeps {
  devices: DeviceRegistry;
  statements: StatementKey;
  times: EventTimes;
  dataKey: DataKey;
  states: ConsentStates;
  now: () => Date;
}

const businessIdsText = (ids: readonly string[] | null): string | null => (ids === null ? null : JSON.stringify(ids));

/**
 * Stores verified events, checking each against the chain the server holds for its device and (for a clock
 * observation) the API's own statement inside it. Nothing about a chain is kept between batches: every batch reads
 * it inside its own transaction, once it holds the device, so any number of API instances may share a database.
 */
export function createEventStore(db: SqlDb, writesFor: (tx: SqlTx, batchIds: readonly string[]) => ChainWrites, deps: EventStoreDeps) {
  const { devices, statements, times, dataKey, states, now } = deps;
  const { inList, list } = db.dialect;
  const SELECT_HELD_IDS = `SELECT id, hash FROM events WHERE ${inList('id')}`;
  const SELECT_HELD_SEQS = `SELECT seq, id, hash, prev FROM events WHERE device_id = ? AND ${inList('seq', 'bigint')}`;

  async function observationFault(device: StoringDevice, event: VerifiedEvent, receivedMs: number): Promise<ObservationFault | null> {
    const { statement, sent, received } = event.observation!;
    const fault = await statements.fault(statement, device.id);
    if (fault) return fault;
    if (statement.statement.head !== null && statement.statement.head.seq >= event.seq) return 'head_not_below';
    if (Date.parse(statement.statement.issuedAt) > receivedMs) return 'issued_after_receipt';
    return received.monoMs < sent.monoMs ? 'readings_out_of_order' : null;
  }

  /** Refuses a batch from a device revoked or re-enrolled since it authenticated; asks for a fresh check if its keys or businesses changed. */
  function checkDevice(device: StoringDevice, locked: LockedDevice | undefined): void {
    if (!locked || locked.revokedAt !== null || locked.credentialHash !== device.credentialHash) {
      throw new ApiFailure('unauthorized', 'Unknown, replaced or revoked device credential: enrol the device again.');
    }
    if (locked.keyId !== device.keyId || locked.businessIds !== businessIdsText(device.businessIds)) throw new DeviceChanged();
  }

  /** One transaction for the whole batch, in seq order: when it commits, every accepted event is on disk. */
  async function storeInTransaction(tx: SqlTx, device: StoringDevice, items: VerifiedEvent[], at: Date): Promise<StoredBatch> {
    const writes = writesFor(tx, items.map((item) => item.id));
    const held = writes.tx;
    const locked = await writes.lockDevice(device.id);
    checkDevice(device, locked);
    const receivedAt = at.toISOString();
    const chain: DeviceChain = { head: locked!.head, contiguous: locked!.contiguous };
    const corrected: CorrectedRange[] = [];
    const place = times.batch(writes, device.id, device.enrolledMs, at.getTime(), chain.head?.seq ?? 0, corrected);
    const rotations = new Set<number>();
    const voidObservations: StoredBatch['voidObservations'] = [];
    /**
     * Commitments whose opening came with this batch: the events of one capture share one opening, so the sealing,
     * the phone key (an HMAC) and the insert run once per capture, not once per event.
     */
    const openings = new Set<string>();
    const consents: StoredConsent[] = [];

    /** What a key rotation must satisfy beyond its signature: it is the newest event held, and names a key nobody has. */
    async function rotationRefusal(event: VerifiedEvent): Promise<IngestResult | null> {
      if (!event.rotation) return null;
      if (chain.head !== null && chain.head.seq > event.seq) {
        return reject(event.id, 'invalid_event', 'A key rotation must be the newest event of the chain; the API holds later ones.');
      }
      if ((await devices.keyOwner(event.rotation.keyId, held)) !== null) return reject(event.id, 'invalid_event', 'next: the rotation names a key that is already enrolled.');
      return null;
    }

    /** Stores the event unless a check refuses it; ID_TAKEN when its id is held already (found out by the insert). */
    const store = async (event: VerifiedEvent): Promise<IngestResult | typeof ID_TAKEN | null> => {
      const refused = await rotationRefusal(event);
      if (refused) return refused;
      const { consent } = event;
      const inserted = await writes.insertEvent([
        event.id, device.id, event.seq, event.prev, event.hash, event.keyId, event.type, consent?.kind ?? null, consent?.commitment ?? null,
        consent?.businessId ?? null, consent?.purposeId ?? null, consent?.purposeCategory ?? null, event.body, event.sig,
      ]);
      if (!inserted) return ID_TAKEN;
      if (consent) {
        const { kind, purposeId, purposeCategory: category, businessId, commitment, opening } = consent;
        consents.push({ eventId: event.id, seq: event.seq, kind, purposeId, category, businessId, commitment });
        if (opening && !openings.has(commitment)) {
          await writes.insertSubject(commitment, dataKey.seal(canonicalOpening(opening), `opening:${commitment}`), dataKey.lookup(opening.phone));
          openings.add(commitment);
        }
      }
      const fault = event.observation ? await observationFault(device, event, at.getTime()) : null;
      if (fault) voidObservations.push({ seq: event.seq, fault });
      await place.insert(event, fault);
      if (event.rotation) {
        await devices.registerRotation(held, device.id, event.keyId, event.seq, event.rotation, receivedAt);
        rotations.add(event.seq);
      }
      return null;
    };
    const storeHeld = async (event: VerifiedEvent): Promise<IngestResult | null> => {
      const result = await store(event);
      return result === ID_TAKEN ? reject(event.id, 'chain_conflict', 'Another event with this id is already stored.') : result;
    };

    /**
     * What the API holds of the batch's stretch of chain: the events with its ids, and the device's events at its
     * seqs and their neighbours. Read once, when an event first does not simply extend the head, then kept up to date
     * with the batch's own events: a batch that commits after a later one of its device is late throughout, and two
     * reads per event cost PostgreSQL two round trips and a send of the rows buffered so far, each. Nothing else
     * changes it meanwhile: this transaction holds the device, and an id another device's transaction inserts is
     * found by the insert.
     */
    let stretch: { hashById: Map<string, string>; bySeq: Map<number, HeldEvent> } | undefined;
    async function heldStretch(): Promise<NonNullable<typeof stretch>> {
      const seqs = new Set(items.flatMap((item) => [item.seq - 1, item.seq, item.seq + 1]));
      const byId = await held.all<{ id: string; hash: string }>(SELECT_HELD_IDS, [list(items.map((item) => item.id))]);
      const bySeq = await held.all<HeldEvent>(SELECT_HELD_SEQS, [device.id, list([...seqs])]);
      return { hashById: new Map(byId.map((row) => [row.id, row.hash])), bySeq: new Map(bySeq.map((row) => [row.seq, row])) };
    }

    /** Events that do not simply extend the head: duplicates, late arrivals, gaps, forks. */
    async function storeAgainstHeldChain(event: VerifiedEvent): Promise<IngestResult> {
      const { hash } = event;
      const { hashById, bySeq } = (stretch ??= await heldStretch());
      const heldHash = hashById.get(event.id);
      if (heldHash !== undefined) {
        return heldHash === hash
          ? { id: event.id, status: 'duplicate' }
          : reject(event.id, 'chain_conflict', 'Another event with this id is already stored.');
      }
      if (bySeq.has(event.seq)) return reject(event.id, 'chain_conflict', `The server already holds a different event #${event.seq} from this device.`);
      const predecessor = bySeq.get(event.seq - 1);
      const expectedPrev = event.seq === 1 ? GENESIS_HASH : predecessor?.hash;
      if (expectedPrev !== undefined && event.prev !== expectedPrev) {
        return reject(event.id, 'chain_conflict', `prev does not match the hash of event #${event.seq - 1} held by the server.`);
      }
      const successor = bySeq.get(event.seq + 1);
      if (successor && successor.prev !== hash) {
        return reject(event.id, 'chain_conflict', `The event #${event.seq + 1} held by the server does not chain to this one.`);
      }
      const refused = await storeHeld(event);
      if (refused) return refused;
      if (expectedPrev !== undefined) return { id: event.id, status: 'accepted' };
      const highestBelow = (await held.value<number | null>(SELECT_HIGHEST_BELOW, [device.id, event.seq])) ?? 0;
      return { id: event.id, status: 'accepted', chainGap: { expectedSeq: highestBelow + 1, receivedSeq: event.seq } };
    }

    const results: IngestResult[] = [];
    for (const [index, event] of items.entries()) {
      if (index > 0 && index % YIELD_EVERY === 0) await yieldLoop();
      // a key is checked before the chain, as the verify worker checks it before the signature
      if (event.viaRotation !== undefined && !rotations.has(event.viaRotation)) {
        results.push(reject(event.id, 'wrong_key', `The event is signed by the key the rotation at seq ${event.viaRotation} names, which was not stored.`));
        continue;
      }
      const { head } = chain;
      const extendsHead = head === null ? event.seq === 1 && event.prev === GENESIS_HASH : event.seq === head.seq + 1 && event.prev === head.hash;
      const stored = extendsHead ? await store(event) : ID_TAKEN;
      const result = stored === ID_TAKEN ? await storeAgainstHeldChain(event) : (stored ?? { id: event.id, status: 'accepted' as const });
      if (result.status === 'accepted') {
        const heldEvent = { seq: event.seq, hash: event.hash };
        if (head === null || event.seq > head.seq) chain.head = heldEvent;
        if (event.seq === (chain.contiguous?.seq ?? 0) + 1) chain.contiguous = heldEvent;
        stretch?.hashById.set(event.id, event.hash);
        stretch?.bySeq.set(event.seq, { seq: event.seq, id: event.id, hash: event.hash, prev: event.prev });
      }
      results.push(result);
    }
    await writes.flush();
    await advanceContiguous(held, device.id, chain);
    await held.run(RECORD_CHAIN, [chain.contiguous?.seq ?? 0, chain.contiguous?.hash ?? null, receivedAt, device.id]);
    await states.recordBatch(held, { deviceId: device.id, consents, openings, corrected });
    return { results, contiguous: chain.contiguous, gap: await gapOf(held, device.id, chain), voidObservations };
  }

  return {
    /**
     * The batch stored, each event judged against the chain held; a device changed meanwhile: `DeviceChanged`. `at`
     * is when the API received it (the ingest writer thread is given the request's time).
     */
    storeBatch: (device: StoringDevice, items: VerifiedEvent[], at: Date = now()): Promise<StoredBatch> =>
      db.transaction((tx) => storeInTransaction(tx, device, items, at)),

    /** The contiguous prefix of a device's chain the API holds (for its head statement). */
    async contiguousHead(deviceId: string): Promise<ChainHead | null> {
      const row = await db.get<{ seq: number; hash: string | null }>(SELECT_CONTIGUOUS, [deviceId]);
      return row && row.seq > 0 && row.hash !== null ? { seq: row.seq, hash: row.hash } : null;
    },
  };
}

/** Moves the contiguous head over events already held beyond it (a gap just filled). */
async function advanceContiguous(tx: SqlTx, deviceId: string, chain: DeviceChain): Promise<void> {
  for (;;) {
    const from = chain.contiguous?.seq ?? 0;
    if (chain.head === null || from >= chain.head.seq) return;
    const above = await tx.all<ChainHead>(SELECT_ABOVE, [deviceId, from]);
    let advanced = false;
    for (const row of above) {
      if (row.seq !== (chain.contiguous?.seq ?? 0) + 1) return;
      chain.contiguous = row;
      advanced = true;
    }
    if (!advanced) return;
  }
}

async function gapOf(tx: SqlTx, deviceId: string, chain: DeviceChain): Promise<ChainGap | null> {
  const fromSeq = (chain.contiguous?.seq ?? 0) + 1;
  if (chain.head === null || fromSeq > chain.head.seq) return null;
  const [beyond] = await tx.all<ChainHead>(SELECT_ABOVE, [deviceId, fromSeq]);
  if (!beyond) return null;
  return { fromSeq, toSeq: beyond.seq - 1, sinceMs: (await tx.value<number>(SELECT_RECEIVED_AT, [deviceId, beyond.seq]))! };
}

export type EventStore = ReturnType<typeof createEventStore>;
