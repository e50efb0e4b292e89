import { hash, verify, type KeyObject } from 'node:crypto';
import type { SignedApiStatement } from '../../shared/contract/api-statement.ts';
import { chainEventType, isConsent, type ChainEvent, type ChainEventType } from '../../shared/contract/chain-event.ts';
import type { SubjectOpening } from '../../shared/contract/consent-event.ts';
import type { ConsentKind, PurposeCategory } from '../../shared/contract/primitives.ts';
import type { Business } from '../../shared/contract/profile.ts';
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

/**
 * A device as ingest sees it: every key it has had, with its seq range, ready for `crypto.verify`, and the
 * businesses it was enrolled to collect for (null: every registered business).
 */
export interface EnrolledDevice {
  id: string;
  keys: readonly DeviceKey[];
  businessIds: readonly string[] | null;
}

export interface ClockReading {
  atMs: number;
  monoMs: number;
}

/**
 * An event whose schema, device, key, business, commitment and signature all check out; the chain and the
 * observation's statement are checked at storage. Only what storage needs, and nothing absent is sent: it travels
 * back from a verify worker thread, and the fewer fields, the faster it clones.
 */
export interface VerifiedEvent {
  id: string;
  type: ChainEventType;
  seq: number;
  prev: string;
  keyId: string;
  capturedMs: number;
  /** The device clock when the event was made; version 1 events have no boot and no monotonic time. */
  knownGood: boolean;
  bootId?: string;
  monoMs?: number;
  sig: string;
  /** Canonical JSON of the body: the exact signed and hashed bytes, stored verbatim. */
  body: string;
  hash: string;
  /** Verified with a key named by a rotation earlier in the same batch (its seq): valid only if that one is stored. */
  viaRotation?: number;
  consent?: {
    kind: ConsentKind;
    commitment: string;
    purposeId: string;
    purposeCategory: PurposeCategory;
    /** The registered business it names (a version 1 consent: by name and number). */
    businessId: string;
    /** `noticeTextHash` of the sentence the person saw: the API flags one no published profile approves. */
    noticeTextHash: string;
    opening?: SubjectOpening;
  };
  observation?: { statement: SignedApiStatement; sent: ClockReading; received: ClockReading };
  rotation?: { keyId: string; publicKey: string };
}

type AnyConsentEvent = Extract<ChainEvent, { kind: unknown }>;

export type Rejected = Extract<IngestResult, { status: 'rejected' }>;
/** What the checks give back for one uploaded item. */
export type EventCheck = { ok: true; verified: VerifiedEvent } | { ok: false; rejected: Rejected };

/** One-shot: for inputs this small, a Hash object costs more than the hashing. */
const sha256Hex = (data: string | Buffer): string => hash('sha256', data, 'hex');

/**
 * How the API names a notice sentence: the SHA-256 (hex) of its UTF-8 text, exactly as the event's `notice.text`
 * holds it. A published profile approves the sentences its notices render (server/profiles/approved-notices.ts).
 */
export const noticeTextHash = (text: string): string => sha256Hex(text);

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
  // zod reports at least one issue whenever parsing fails
  const issue = parsed.error.issues[0]!;
  const where = issue.path.map(String).join('.') || '(root)';
  return { ok: false, rejected: reject(idOf(item), 'invalid_event', `${where}: ${issue.message}`) };
}

const keyFor = (keys: readonly DeviceKey[], keyId: string, seq: number): DeviceKey | undefined =>
  keys.find((key) => key.keyId === keyId && seq >= key.fromSeq && (key.toSeq === null || seq <= key.toSeq));

const readingOf = ({ at, monoMs }: { at: string; monoMs: number }): ClockReading => ({ atMs: Date.parse(at), monoMs });

function verifiedOf(event: ChainEvent, opening: SubjectOpening | null, businessId: string | null, body: string, bytes: Buffer, viaRotation: number | undefined): VerifiedEvent {
  const { clock } = event;
  const verified: VerifiedEvent = {
    id: event.id,
    type: chainEventType(event),
    seq: event.seq,
    prev: event.prev,
    keyId: event.device.keyId,
    capturedMs: Date.parse(event.capturedAt),
    knownGood: clock.knownGood,
    sig: event.sig,
    body,
    hash: sha256Hex(bytes),
  };
  if ('bootId' in clock) {
    verified.bootId = clock.bootId;
    verified.monoMs = clock.monoMs;
  }
  if (viaRotation !== undefined) verified.viaRotation = viaRotation;
  if (isConsent(event)) {
    const { kind, subject, purpose, notice } = event;
    verified.consent = {
      kind,
      commitment: subject.commitment,
      purposeId: purpose.id,
      purposeCategory: purpose.category,
      businessId: businessId!,
      noticeTextHash: noticeTextHash(notice.text),
    };
    if (opening) verified.consent.opening = opening;
  } else if (event.type === 'clock_observation') {
    verified.observation = { statement: event.statement, sent: readingOf(event.sent), received: readingOf(event.received) };
  } else if (event.type === 'key_rotation') {
    verified.rotation = event.next;
  }
  // a service event (a technician's session or action) is kept for the chain and is evidence of nothing else
  return verified;
}

/** The registered business a consent names, or why it is refused. */
function businessOf(event: AnyConsentEvent, device: EnrolledDevice, businesses: readonly Business[]): { id: string } | { reason: IngestRejectReason; message: string } {
  const { name, whatsappNumber } = event.business;
  const id = 'id' in event.business ? event.business.id : null;
  const known = businesses.find((b) => (id === null ? b.name === name && b.whatsappNumber === whatsappNumber : b.id === id));
  if (!known || known.name !== name || known.whatsappNumber !== whatsappNumber) {
    return {
      reason: 'unknown_business',
      message: id === null
        ? 'The consent names a business (by name and number) the API does not know.'
        : `The consent names business "${id}" with a name or number the API does not know for it.`,
    };
  }
  if (device.businessIds && !device.businessIds.includes(known.id)) {
    return { reason: 'business_not_allowed', message: `This device is not enrolled to collect consent for "${known.id}".` };
  }
  return { id: known.id };
}

/**
 * Everything about one uploaded batch that needs no database, event by event in seq order: schema → device → the
 * key valid for the event's seq → a consent's business (`businesses`: the registry) → commitment → Ed25519
 * signature over the canonical body. A key rotation that verifies makes its next key valid for the later events of
 * the same batch (and ends the old key's range), so a kiosk may rotate at the end of a batch. Synchronous: it runs
 * on a verify worker thread (verify-pool.ts).
 */
export function checkEvents(items: readonly unknown[], device: EnrolledDevice, businesses: readonly Business[]): EventCheck[] {
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
    const business = consent ? businessOf(event, device, businesses) : null;
    if (business && 'reason' in business) {
      fail(business.reason, business.message);
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
    checks[index] = { ok: true, verified: verifiedOf(event, opening, business?.id ?? null, body, bytes, rotatedIn.get(key.keyId)) };
  }
  return checks;
}
