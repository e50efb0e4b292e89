import type Database from 'better-sqlite3';
import { GENESIS_HASH } from '../../shared/contract/consent-event.ts';
import type { IngestResult } from '../../shared/contract/sync.ts';
import { reject, type VerifiedEvent } from '../ingest/verify-event.ts';
import type { PhoneKey } from './phone-key.ts';

interface ChainHead {
  seq: number;
  hash: string;
}

interface HeldEvent {
  seq: number;
  id: string;
  hash: string;
  prev: string;
}

/** Stores verified events, checking each against the chain the server already holds for its device. */
export function createEventStore(db: Database.Database, phoneKey: PhoneKey, now: () => Date) {
  const selectById = db.prepare('SELECT hash FROM events WHERE id = ?').pluck();
  const selectAround = db.prepare('SELECT seq, id, hash, prev FROM events WHERE device_id = ? AND seq BETWEEN ? AND ?');
  const selectHighestBelow = db.prepare('SELECT MAX(seq) FROM events WHERE device_id = ? AND seq < ?').pluck();
  const selectHead = db.prepare('SELECT seq, hash FROM events WHERE device_id = ? ORDER BY seq DESC LIMIT 1');
  const insertSubject = db.prepare(
    'INSERT OR IGNORE INTO subjects (commitment, phone, customer_ref, salt, phone_key) VALUES (?, ?, ?, ?, ?)',
  );
  const insertEvent = db.prepare(`
    INSERT INTO events (id, device_id, seq, prev, hash, key_id, kind, commitment, purpose_id, purpose_category,
      captured_at, clock_offset_ms, effective_at_ms, received_at, body, sig)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING`);
  const recordOffset = db.prepare('UPDATE devices SET clock_offset_ms = ?, last_ingest_at = ? WHERE id = ?');

  // Highest stored event per device, committed state only. Events usually arrive in chain order, each extending
  // the head: those need no lookups at all, which keeps ingest close to the speed of signature verification.
  const heads = new Map<string, ChainHead | null>();
  const headOf = (deviceId: string): ChainHead | null => {
    if (!heads.has(deviceId)) heads.set(deviceId, (selectHead.get(deviceId) as ChainHead | undefined) ?? null);
    return heads.get(deviceId)!;
  };

  /**
   * Commitments whose opening this transaction has stored: the events of one capture share one opening, so the
   * phone key (an HMAC) and the insert run once per capture, not once per event. Cleared with every transaction,
   * so a rolled-back batch leaves nothing behind.
   */
  const subjectsInBatch = new Set<string>();

  function insert(deviceId: string, clockOffsetMs: number, receivedAt: string, event: VerifiedEvent): boolean {
    const { opening, commitment } = event;
    if (opening && !subjectsInBatch.has(commitment)) {
      insertSubject.run(commitment, opening.phone, opening.customerRef ?? null, opening.salt, phoneKey(opening.phone));
      subjectsInBatch.add(commitment);
    }
    const { changes } = insertEvent.run(
      event.id, deviceId, event.seq, event.prev, event.hash, event.keyId, event.kind, commitment, event.purposeId,
      event.purposeCategory, event.capturedAt, clockOffsetMs, Date.parse(event.capturedAt) + clockOffsetMs, receivedAt, event.body, event.sig,
    );
    return changes === 1;
  }

  /** Events that do not simply extend the head: duplicates, late arrivals, gaps, forks. */
  function storeAgainstHeldChain(deviceId: string, clockOffsetMs: number, receivedAt: string, event: VerifiedEvent): IngestResult {
    const { hash } = event;
    const heldHash = selectById.get(event.id) as string | undefined;
    if (heldHash !== undefined) {
      return heldHash === hash
        ? { id: event.id, status: 'duplicate' }
        : reject(event.id, 'chain_conflict', 'Another event with this id is already stored.');
    }
    const around = selectAround.all(deviceId, event.seq - 1, event.seq + 1) as HeldEvent[];
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
    insert(deviceId, clockOffsetMs, receivedAt, event);
    if (expectedPrev !== undefined) return { id: event.id, status: 'accepted' };
    const highestBelow = (selectHighestBelow.get(deviceId, event.seq) as number | null) ?? 0;
    return { id: event.id, status: 'accepted', chainGap: { expectedSeq: highestBelow + 1, receivedSeq: event.seq } };
  }

  /** One transaction for the whole batch: when this returns, every accepted event is on disk. */
  const storeInTransaction = db.transaction((deviceId: string, clockOffsetMs: number, items: VerifiedEvent[]) => {
    const receivedAt = now().toISOString();
    subjectsInBatch.clear();
    let head = headOf(deviceId);
    const results = items.map((event): IngestResult => {
      const { hash } = event;
      const extendsHead = head === null ? event.seq === 1 && event.prev === GENESIS_HASH : event.seq === head.seq + 1 && event.prev === head.hash;
      const result =
        extendsHead && insert(deviceId, clockOffsetMs, receivedAt, event)
          ? { id: event.id, status: 'accepted' as const }
          : storeAgainstHeldChain(deviceId, clockOffsetMs, receivedAt, event);
      if (result.status === 'accepted' && (head === null || event.seq > head.seq)) head = { seq: event.seq, hash };
      return result;
    });
    recordOffset.run(clockOffsetMs, receivedAt, deviceId);
    return { results, head };
  });

  return {
    storeBatch(deviceId: string, clockOffsetMs: number, items: VerifiedEvent[]): IngestResult[] {
      try {
        const { results, head } = storeInTransaction(deviceId, clockOffsetMs, items);
        heads.set(deviceId, head);
        return results;
      } catch (error) {
        heads.delete(deviceId);
        throw error;
      }
    },
  };
}

export type EventStore = ReturnType<typeof createEventStore>;
