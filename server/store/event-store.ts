import type Database from 'better-sqlite3';
import { GENESIS_HASH } from '../../shared/contract/consent-event.ts';
import type { IngestResult } from '../../shared/contract/sync.ts';
import { reject, type VerifiedEvent } from '../ingest/verify-event.ts';
import type { StatementKey } from '../keys/statement-key.ts';
import type { DeviceRecord, DeviceRegistry } from './device-registry.ts';
import type { EventTimes, ObservationFault } from './event-times.ts';
import type { DataKey } from '../keys/data-key.ts';
import { canonicalOpening } from '../../shared/event-bytes.ts';

export interface ChainHead {
  seq: number;
  hash: string;
}

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

const ID_TAKEN = Symbol('id taken');

interface DeviceChain {
  /** Highest stored event. */
  head: ChainHead | null;
  /** Highest seq s such that 1..s are all stored. */
  contiguous: ChainHead | null;
}

export interface EventStoreDeps {
  devices: DeviceRegistry;
  statements: StatementKey;
  times: EventTimes;
  dataKey: DataKey;
  now: () => Date;
}

/**
 * Stores verified events, checking each against the chain the server holds for its device and (for a clock
 * observation) the API's own statement inside it.
 */
export function createEventStore(db: Database.Database, { devices, statements, times, dataKey, now }: EventStoreDeps) {
  const selectById = db.prepare('SELECT hash FROM events WHERE id = ?').pluck();
  const selectAround = db.prepare('SELECT seq, id, hash, prev FROM events WHERE device_id = ? AND seq BETWEEN ? AND ?');
  const selectHighestBelow = db.prepare('SELECT MAX(seq) FROM events WHERE device_id = ? AND seq < ?').pluck();
  const selectHead = db.prepare('SELECT seq, hash FROM events WHERE device_id = ? ORDER BY seq DESC LIMIT 1');
  const selectContiguous = db.prepare('SELECT contiguous_seq AS seq, contiguous_hash AS hash FROM devices WHERE id = ?');
  const selectAbove = db.prepare('SELECT seq, hash FROM events WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT 1000');
  const selectReceivedAt = db.prepare('SELECT received_ms FROM event_times WHERE device_id = ? AND seq = ?').pluck();
  // An erased subject's commitment is never given an opening again.
  const insertSubject = db.prepare(`
    INSERT OR IGNORE INTO subjects (commitment, opening, phone_key)
    SELECT @commitment, @opening, @phoneKey WHERE NOT EXISTS (SELECT 1 FROM erased_subjects WHERE commitment = @commitment)`);
  const insertEvent = db.prepare(`
    INSERT INTO events (id, device_id, seq, prev, hash, key_id, type, kind, commitment, business_id, purpose_id, purpose_category, body, sig)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING`);
  const recordChain = db.prepare('UPDATE devices SET contiguous_seq = ?, contiguous_hash = ?, last_ingest_at = ? WHERE id = ?');

  // Per device, committed state only. Events usually arrive in chain order, each extending the head: those need
  // no lookups at all, which keeps ingest close to the speed of signature verification.
  const chains = new Map<string, DeviceChain>();
  const chainOf = (deviceId: string): DeviceChain => {
    let chain = chains.get(deviceId);
    if (!chain) {
      const contiguous = selectContiguous.get(deviceId) as { seq: number; hash: string | null } | undefined;
      chain = {
        head: (selectHead.get(deviceId) as ChainHead | undefined) ?? null,
        contiguous: contiguous && contiguous.seq > 0 && contiguous.hash !== null ? { seq: contiguous.seq, hash: contiguous.hash } : null,
      };
      chains.set(deviceId, chain);
    }
    return chain;
  };

  /**
   * Commitments whose opening this transaction has stored: the events of one capture share one opening, so the
   * sealing, the phone key (an HMAC) and the insert run once per capture, not once per event. Cleared with every
   * transaction, so a rolled-back batch leaves nothing behind.
   */
  const subjectsInBatch = new Set<string>();

  function observationFault(device: DeviceRecord, event: VerifiedEvent, receivedMs: number): ObservationFault | null {
    const { statement, sent, received } = event.observation!;
    const fault = statements.fault(statement, device.id);
    if (fault) return fault;
    if (statement.statement.head !== null && statement.statement.head.seq >= event.seq) return 'head_not_below';
    if (Date.parse(statement.statement.issuedAt) > receivedMs) return 'issued_after_receipt';
    return received.monoMs < sent.monoMs ? 'readings_out_of_order' : null;
  }

  /** What a key rotation must satisfy beyond its signature: it is the newest event held, and names a key nobody has. */
  function rotationRefusal(event: VerifiedEvent, chain: DeviceChain): IngestResult | null {
    if (!event.rotation) return null;
    if (chain.head !== null && chain.head.seq > event.seq) {
      return reject(event.id, 'invalid_event', 'A key rotation must be the newest event of the chain; the API holds later ones.');
    }
    if (devices.keyOwner(event.rotation.keyId) !== null) return reject(event.id, 'invalid_event', 'next: the rotation names a key that is already enrolled.');
    return null;
  }

  /** Events that do not simply extend the head: duplicates, late arrivals, gaps, forks. */
  function storeAgainstHeldChain(device: DeviceRecord, event: VerifiedEvent, store: (event: VerifiedEvent) => IngestResult | null): IngestResult {
    const { hash } = event;
    const heldHash = selectById.get(event.id) as string | undefined;
    if (heldHash !== undefined) {
      return heldHash === hash
        ? { id: event.id, status: 'duplicate' }
        : reject(event.id, 'chain_conflict', 'Another event with this id is already stored.');
    }
    const around = selectAround.all(device.id, event.seq - 1, event.seq + 1) as HeldEvent[];
    const held = (seq: number) => around.find((row) => row.seq === seq);
    if (held(event.seq)) return reject(event.id, 'chain_conflict', `The server already holds a different event #${event.seq} from this device.`);
    const predecessor = held(event.seq - 1);
    const expectedPrev = event.seq === 1 ? GENESIS_HASH : predecessor?.hash;
    if (expectedPrev !== undefined && event.prev !== expectedPrev) {
      return reject(event.id, 'chain_conflict', `prev does not match the hash of event #${event.seq - 1} held by the server.`);
    }
    const successor = held(event.seq + 1);
    if (successor && successor.prev !== hash) {
      return reject(event.id, 'chain_conflict', `The event #${event.seq + 1} held by the server does not chain to this one.`);
    }
    const refused = store(event);
    if (refused) return refused;
    if (expectedPrev !== undefined) return { id: event.id, status: 'accepted' };
    const highestBelow = (selectHighestBelow.get(device.id, event.seq) as number | null) ?? 0;
    return { id: event.id, status: 'accepted', chainGap: { expectedSeq: highestBelow + 1, receivedSeq: event.seq } };
  }

  /** Moves the contiguous head over events already held beyond it (a gap just filled). */
  function advanceContiguous(deviceId: string, chain: DeviceChain): void {
    for (;;) {
      const from = chain.contiguous?.seq ?? 0;
      if (chain.head === null || from >= chain.head.seq) return;
      const above = selectAbove.all(deviceId, from) as ChainHead[];
      let advanced = false;
      for (const row of above) {
        if (row.seq !== (chain.contiguous?.seq ?? 0) + 1) return;
        chain.contiguous = row;
        advanced = true;
      }
      if (!advanced) return;
    }
  }

  function gapOf(deviceId: string, chain: DeviceChain): ChainGap | null {
    const fromSeq = (chain.contiguous?.seq ?? 0) + 1;
    if (chain.head === null || fromSeq > chain.head.seq) return null;
    const [beyond] = selectAbove.all(deviceId, fromSeq) as ChainHead[];
    if (!beyond) return null;
    return { fromSeq, toSeq: beyond.seq - 1, sinceMs: selectReceivedAt.get(deviceId, beyond.seq) as number };
  }

  /** One transaction for the whole batch, in seq order: when this returns, every accepted event is on disk. */
  const storeInTransaction = db.transaction((device: DeviceRecord, items: VerifiedEvent[]): StoredBatch => {
    const at = now();
    const receivedAt = at.toISOString();
    subjectsInBatch.clear();
    const chain = chainOf(device.id);
    const place = times.batch(device.id, device.enrolledMs, at.getTime(), chain.head?.seq ?? 0);
    const rotations = new Set<number>();
    const voidObservations: StoredBatch['voidObservations'] = [];

    /** Stores the event unless a check refuses it; ID_TAKEN when its id is held already (found out by the insert). */
    const store = (event: VerifiedEvent): IngestResult | typeof ID_TAKEN | null => {
      const refused = rotationRefusal(event, chain);
      if (refused) return refused;
      const { consent } = event;
      const { changes } = insertEvent.run(
        event.id, device.id, event.seq, event.prev, event.hash, event.keyId, event.type, consent?.kind ?? null, consent?.commitment ?? null,
        consent?.businessId ?? null, consent?.purposeId ?? null, consent?.purposeCategory ?? null, event.body, event.sig,
      );
      if (changes === 0) return ID_TAKEN;
      const opening = consent?.opening;
      if (opening && !subjectsInBatch.has(consent.commitment)) {
        insertSubject.run({
          commitment: consent.commitment,
          opening: dataKey.seal(canonicalOpening(opening), `opening:${consent.commitment}`),
          phoneKey: dataKey.lookup(opening.phone),
        });
        subjectsInBatch.add(consent.commitment);
      }
      const fault = event.observation ? observationFault(device, event, at.getTime()) : null;
      if (fault) voidObservations.push({ seq: event.seq, fault });
      place.insert(event, fault);
      if (event.rotation) {
        devices.registerRotation(device.id, event.keyId, event.seq, event.rotation);
        rotations.add(event.seq);
      }
      return null;
    };
    const storeHeld = (event: VerifiedEvent): IngestResult | null => {
      const result = store(event);
      return result === ID_TAKEN ? reject(event.id, 'chain_conflict', 'Another event with this id is already stored.') : result;
    };

    const results = items.map((event): IngestResult => {
      // a key is checked before the chain, as the verify worker checks it before the signature
      if (event.viaRotation !== undefined && !rotations.has(event.viaRotation)) {
        return reject(event.id, 'wrong_key', `The event is signed by the key the rotation at seq ${event.viaRotation} names, which was not stored.`);
      }
      const { head } = chain;
      const extendsHead = head === null ? event.seq === 1 && event.prev === GENESIS_HASH : event.seq === head.seq + 1 && event.prev === head.hash;
      const stored = extendsHead ? store(event) : ID_TAKEN;
      const result = stored === ID_TAKEN ? storeAgainstHeldChain(device, event, storeHeld) : (stored ?? { id: event.id, status: 'accepted' as const });
      if (result.status === 'accepted') {
        const held = { seq: event.seq, hash: event.hash };
        if (head === null || event.seq > head.seq) chain.head = held;
        if (event.seq === (chain.contiguous?.seq ?? 0) + 1) chain.contiguous = held;
      }
      return result;
    });
    advanceContiguous(device.id, chain);
    recordChain.run(chain.contiguous?.seq ?? 0, chain.contiguous?.hash ?? null, receivedAt, device.id);
    return { results, contiguous: chain.contiguous, gap: gapOf(device.id, chain), voidObservations };
  });

  return {
    storeBatch(device: DeviceRecord, items: VerifiedEvent[]): StoredBatch {
      try {
        return storeInTransaction(device, items);
      } catch (error) {
        chains.delete(device.id);
        throw error;
      }
    },

    /** The contiguous prefix of a device's chain the API holds (for its head statement). */
    contiguousHead: (deviceId: string): ChainHead | null => chainOf(deviceId).contiguous,
  };
}

export type EventStore = ReturnType<typeof createEventStore>;
