import crypto from 'node:crypto';

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
