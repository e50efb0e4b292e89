import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** keyId = first 16 bytes (hex) of SHA-256 of the raw 32-byte public key, for device keys and the API's own. */
export function keyIdOf(publicKeyBase64Url: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyBase64Url, 'base64url')).digest('hex').slice(0, 32);
}

/** A raw Ed25519 public key (base64url), ready for `crypto.verify`. */
export const publicKeyObject = (raw: string): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' });

/** The raw public key (base64url) of an Ed25519 key object, public or private. */
export const rawPublicKeyOf = (key: KeyObject): string => createPublicKey(key).export({ format: 'jwk' }).x as string;
