import { hash, verify, type KeyObject } from 'node:crypto';
import type { SignedApiStatement } from '../../shared/contract/api-statement.ts';
import { chainEventType, isConsent, type ChainEvent, type ChainEventType } from '../../shared/contract/chain-event.ts';
import type { SubjectOpening } from '../../shared/contract/consent-event.ts';
import type { ConsentKind, PurposeCategory } from '../../shared/contract/primitives.ts';
import { IngestItem, type IngestRejectReason, type IngestResult } from '../../shared/contract/sync.ts';
import { canonicalEventBody, canonicalOpening } from '../../shared/event-bytes.ts';
import { keyIdOf, publicKeyObject } from '../keys/ed25519.ts';

/** One key of a device and the seqs it may sign (`toSeq` null: to the end). */
export interface DeviceKey {
  keyId: string;
  key: KeyObject;
  fromSeq: number;
  toSeq: number | null;
}

/** A device as ingest sees it: every key it has had, with its seq range, ready for `crypto.verify`. */
export interface EnrolledDevice {
  id: string;
  keys: readonly DeviceKey[];
}

export interface ClockReading {
  atMs: number;
  monoMs: number;
}

/**
 * An event whose schema, device, key, commitment and signature all check out; the chain, the business and the
 * observation's statement are checked at storage. Only what storage needs: it travels back from a verify worker
 * thread, and a small record clones faster than the whole parsed event.
 */
export interface VerifiedEvent {
  id: string;
  type: ChainEventType;
  seq: number;
  prev: string;
  keyId: string;
  capturedAt: string;
  /** The device clock when the event was made; boot and monotonic time are null for version 1 events. */
  knownGood: boolean;
  bootId: string | null;
  monoMs: number | null;
  sig: string;
  /** Canonical JSON of the body: the exact signed and hashed bytes, stored verbatim. */
  body: string;
  hash: string;
  /** Verified with a key named by a rotation earlier in the same batch (its seq): valid only if that one is stored. */
  viaRotation: number | null;
  consent: {
    kind: ConsentKind;
    commitment: string;
    purposeId: string;
    purposeCategory: PurposeCategory;
    business: { id: string | null; name: string; whatsappNumber: string };
    opening: SubjectOpening | null;
  } | null;
  observation: { statement: SignedApiStatement; sent: ClockReading; received: ClockReading } | null;
  rotation: { keyId: string; publicKey: string } | null;
}

export type Rejected = Extract<IngestResult, { status: 'rejected' }>;
/** What the checks give back for one uploaded item. */
export type EventCheck = { ok: true; verified: VerifiedEvent } | { ok: false; rejected: Rejected };

/** One-shot: for inputs this small, a Hash object costs more than the hashing. */
const sha256Hex = (data: string | Buffer): string => hash('sha256', data, 'hex');

export const reject = (id: string, reason: IngestRejectReason, message: string): Rejected => ({
  id,
  status: 'rejected',
  reason,
  message: message.slice(0, 300),
});

function idOf(item: unknown): string {
  const id = (item as { event?: { id?: unknown } } | null)?.event?.id;
  return typeof id === 'string' ? id.slice(0, 64) : '(unknown)';
}

type Parsed = { ok: true; item: IngestItem } | { ok: false; rejected: Rejected };

function parseItem(item: unknown): Parsed {
  const parsed = IngestItem.safeParse(item);
  if (parsed.success) return { ok: true, item: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.map(String).join('.') || '(root)';
  return { ok: false, rejected: reject(idOf(item), 'invalid_event', `${where}: ${issue?.message ?? 'invalid'}`) };
}

const keyFor = (keys: readonly DeviceKey[], keyId: string, seq: number): DeviceKey | undefined =>
  keys.find((key) => key.keyId === keyId && seq >= key.fromSeq && (key.toSeq === null || seq <= key.toSeq));

const readingOf = ({ at, monoMs }: { at: string; monoMs: number }): ClockReading => ({ atMs: Date.parse(at), monoMs });

function verifiedOf(event: ChainEvent, opening: SubjectOpening | null, body: string, bytes: Buffer, viaRotation: number | null): VerifiedEvent {
  const clock = event.clock;
  return {
    id: event.id,
    type: chainEventType(event),
    seq: event.seq,
    prev: event.prev,
    keyId: event.device.keyId,
    capturedAt: event.capturedAt,
    knownGood: clock.knownGood,
    bootId: 'bootId' in clock ? clock.bootId : null,
    monoMs: 'monoMs' in clock ? clock.monoMs : null,
    sig: event.sig,
    body,
    hash: sha256Hex(bytes),
    viaRotation,
    consent: isConsent(event)
        ? {
            kind: event.kind,
            commitment: event.subject.commitment,
            purposeId: event.purpose.id,
            purposeCategory: event.purpose.category,
            business: { id: 'id' in event.business ? event.business.id : null, name: event.business.name, whatsappNumber: event.business.whatsappNumber },
            opening,
          }
        : null,
    observation:
      event.v === 2 && event.type === 'clock_observation'
        ? { statement: event.statement, sent: readingOf(event.sent), received: readingOf(event.received) }
        : null,
    rotation: event.v === 2 && event.type === 'key_rotation' ? event.next : null,
  };
}

/**
 * Everything about one uploaded batch that needs no database, event by event in seq order: schema → device → the
 * key valid for the event's seq → commitment → Ed25519 signature over the canonical body. A key rotation that
 * verifies makes its next key valid for the later events of the same batch (and ends the old key's range), so a
 * kiosk may rotate at the end of a batch. Synchronous: it runs on a verify worker thread (verify-pool.ts).
 */
export function checkEvents(items: readonly unknown[], device: EnrolledDevice): EventCheck[] {
  const checks: EventCheck[] = new Array(items.length);
  const parsed: { index: number; item: IngestItem }[] = [];
  items.forEach((item, index) => {
    const result = parseItem(item);
    if (result.ok) parsed.push({ index, item: result.item });
    else checks[index] = result;
  });
  parsed.sort((a, b) => a.item.event.seq - b.item.event.seq);

  let keys = device.keys;
  const rotatedIn = new Map<string, number>();
  for (const { index, item } of parsed) {
    const { event, subject: opening } = item;
    const fail = (reason: IngestRejectReason, message: string): void => {
      checks[index] = { ok: false, rejected: reject(event.id, reason, message) };
    };
    if (event.device.id !== device.id) {
      fail('wrong_device', 'The event was recorded by another device than the one uploading it.');
      continue;
    }
    const key = keyFor(keys, event.device.keyId, event.seq);
    if (!key) {
      fail('wrong_key', `The event names a key id that is not enrolled for this device at seq ${event.seq}.`);
      continue;
    }
    const consent = isConsent(event);
    if (!consent && opening !== null) {
      fail('invalid_event', 'subject: only a consent event carries a subject opening.');
      continue;
    }
    if (consent && opening && sha256Hex(canonicalOpening(opening)) !== event.subject.commitment) {
      fail('commitment_mismatch', 'The subject opening does not match the commitment in the signed event.');
      continue;
    }
    const body = canonicalEventBody(event);
    const bytes = Buffer.from(body);
    if (!verify(null, bytes, key.key, Buffer.from(event.sig, 'base64url'))) {
      fail('bad_signature', 'The Ed25519 signature does not verify against the device key valid for this seq.');
      continue;
    }
    if (event.v === 2 && event.type === 'key_rotation') {
      const { next } = event;
      if (keyIdOf(next.publicKey) !== next.keyId) {
        fail('invalid_event', 'next.keyId does not match next.publicKey (first 16 bytes of its SHA-256, hex).');
        continue;
      }
      const held = keys.find((k) => k.keyId === next.keyId);
      // the same rotation sent again (its next key registered from the seq after it) is left to storage: a duplicate
      if (held && held.fromSeq !== event.seq + 1) {
        fail('invalid_event', 'next: the rotation names a key this device already has.');
        continue;
      }
      if (!held) {
        keys = [
          ...keys.map((other) => (other === key ? { ...other, toSeq: event.seq } : other)),
          { keyId: next.keyId, key: publicKeyObject(next.publicKey), fromSeq: event.seq + 1, toSeq: null },
        ];
        rotatedIn.set(next.keyId, event.seq);
      }
    }
    checks[index] = { ok: true, verified: verifiedOf(event, opening, body, bytes, rotatedIn.get(key.keyId) ?? null) };
  }
  return checks;
}
