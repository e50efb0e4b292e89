import crypto from 'node:crypto';
import { SubjectOpening } from '../../shared/contract/consent-event.ts';
import { canonicalOpening } from '../../shared/event-bytes.ts';
import { sha256Hex } from './event-signing.ts';
import { randomBytes } from './random-pool.ts';

/** A capture's opening, as the JSON that is both committed to (hashed) and sealed into each of its events. */
export type FreshOpening = { json: string; commitment: string };

export function newOpening(phone: string, customerRef: string | undefined): FreshOpening {
  const salt = randomBytes(16).toString('base64url');
  const json = canonicalOpening(customerRef === undefined ? { phone, salt } : { customerRef, phone, salt });
  return { json, commitment: sha256Hex(json) };
}

/** What the signed body carries instead of the subject: lower-hex SHA-256 of the opening's canonical JSON. */
export function commitmentOf(opening: SubjectOpening): string {
  return sha256Hex(canonicalOpening(opening));
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with the event id as associated data, so an opening copied onto another event's row fails to open
 * rather than silently naming a different person. Layout: iv ‖ tag ‖ ciphertext.
 */
export function sealOpening(dataKey: Buffer, eventId: string, openingJson: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(eventId, 'utf8'));
  const ciphertext = cipher.update(openingJson, 'utf8');
  const rest = cipher.final();
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext, rest]);
}

/**
 * The opening's canonical JSON as sealed, or null when the sealed bytes do not open under this key and event id.
 * GCM authenticates it, so it is exactly the JSON the capture wrote.
 */
export function unsealOpeningJson(dataKey: Buffer, eventId: string, sealed: Buffer): string | null {
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', dataKey, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(eventId, 'utf8'));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES), undefined, 'utf8') + decipher.final('utf8');
  } catch {
    return null;
  }
}

/** The opening, or null when the sealed bytes do not open under this key and event id. */
export function unsealOpening(dataKey: Buffer, eventId: string, sealed: Buffer): SubjectOpening | null {
  const json = unsealOpeningJson(dataKey, eventId, sealed);
  if (json === null) return null;
  try {
    const parsed = SubjectOpening.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
