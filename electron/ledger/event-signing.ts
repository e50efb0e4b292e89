import crypto from 'node:crypto';
import type { ConsentEventBody } from '../../shared/contract/consent-event.ts';

/**
 * The canonical JSON of a body; its UTF-8 bytes are both signed and hashed. RFC 8785 is JSON.stringify with every
 * object's keys in sorted order (its number and string forms are JSON.stringify's), so listing the keys here in that
 * order yields exactly `canonicalJson(body)` without sorting keys on every capture. `satisfies` makes a field added
 * to the schema a compile error here rather than a field silently left unsigned; the tests compare both forms.
 */
export function eventJson(body: ConsentEventBody): string {
  const ordered = {
    business: { name: body.business.name, whatsappNumber: body.business.whatsappNumber },
    capturedAt: body.capturedAt,
    channel: body.channel,
    clock: { knownGood: body.clock.knownGood },
    device: { id: body.device.id, keyId: body.device.keyId },
    entryPoint: body.entryPoint,
    flowId: body.flowId,
    id: body.id,
    kind: body.kind,
    notice: { id: body.notice.id, locale: body.notice.locale, text: body.notice.text, version: body.notice.version },
    prev: body.prev,
    purpose: { category: body.purpose.category, id: body.purpose.id },
    seq: body.seq,
    subject: { commitment: body.subject.commitment, source: body.subject.source },
    v: body.v,
  } satisfies ConsentEventBody;
  return JSON.stringify(ordered);
}

/** One-shot crypto.hash: for inputs this small, creating a Hash object costs more than hashing. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return crypto.hash('sha256', bytes, 'hex');
}

/** First 16 bytes of SHA-256 of the raw public key, in hex. */
export function keyIdOf(rawPublicKey: Buffer): string {
  return sha256Hex(rawPublicKey).slice(0, 32);
}

export function publicKeyFromRaw(raw: Buffer): crypto.KeyObject {
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function verifySignature(bytes: Uint8Array, sig: string, publicKey: crypto.KeyObject): boolean {
  const signature = Buffer.from(sig, 'base64url');
  return signature.length === 64 && crypto.verify(null, bytes, publicKey, signature);
}
