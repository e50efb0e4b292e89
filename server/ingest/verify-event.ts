import { hash, verify } from 'node:crypto';
import type { ConsentEvent, SubjectOpening } from '../../shared/contract/consent-event.ts';
import { IngestItem, type IngestRejectReason, type IngestResult } from '../../shared/contract/sync.ts';
import { canonicalEventBody, canonicalOpening } from '../../shared/event-bytes.ts';
import type { EnrolledDevice } from '../store/device-registry.ts';

/**
 * An event whose schema, device, key, commitment and signature all check out; the chain is checked at storage.
 * Only what storage needs, flat: it travels back from a verify worker thread, and a flat record clones faster
 * than the whole parsed event.
 */
export interface VerifiedEvent {
  id: string;
  seq: number;
  prev: string;
  keyId: string;
  kind: ConsentEvent['kind'];
  commitment: string;
  purposeId: string;
  purposeCategory: ConsentEvent['purpose']['category'];
  capturedAt: string;
  sig: string;
  opening: SubjectOpening | null;
  /** Canonical JSON of the body: the exact signed and hashed bytes, stored verbatim. */
  body: string;
  hash: string;
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

/**
 * Everything about one uploaded event that needs no database: schema → device → key → commitment → Ed25519
 * signature over the canonical body. Synchronous: it runs on a verify worker thread (verify-pool.ts).
 */
export function checkEvent(item: unknown, device: EnrolledDevice): EventCheck {
  const parsed = IngestItem.safeParse(item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join('.') || '(root)';
    return { ok: false, rejected: reject(idOf(item), 'invalid_event', `${where}: ${issue?.message ?? 'invalid'}`) };
  }
  const { event, subject: opening } = parsed.data;
  const fail = (reason: IngestRejectReason, message: string): EventCheck => ({ ok: false, rejected: reject(event.id, reason, message) });

  if (event.device.id !== device.id) return fail('wrong_device', 'The event was recorded by another device than the one uploading it.');
  const key = device.keys.get(event.device.keyId);
  if (!key) return fail('wrong_key', 'The event names a key id that is not enrolled for this device.');
  if (opening && sha256Hex(canonicalOpening(opening)) !== event.subject.commitment) {
    return fail('commitment_mismatch', 'The subject opening does not match the commitment in the signed event.');
  }

  const body = canonicalEventBody(event);
  const bytes = Buffer.from(body);
  if (!verify(null, bytes, key, Buffer.from(event.sig, 'base64url'))) {
    return fail('bad_signature', 'The Ed25519 signature does not verify against the enrolled device key.');
  }
  return {
    ok: true,
    verified: {
      id: event.id,
      seq: event.seq,
      prev: event.prev,
      keyId: event.device.keyId,
      kind: event.kind,
      commitment: event.subject.commitment,
      purposeId: event.purpose.id,
      purposeCategory: event.purpose.category,
      capturedAt: event.capturedAt,
      sig: event.sig,
      opening,
      body,
      hash: sha256Hex(bytes),
    },
  };
}
