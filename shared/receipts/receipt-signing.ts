import { base64url as jwsBase64url, compactVerify, importJWK } from 'jose';
import { KioskFailure } from '../contract/errors.ts';
import { canonicalJson } from '../event-bytes.ts';

/** The JWS `typ` of a consent receipt (RFC 8725 §3.11: explicit typing, so no other JWS passes for a receipt). */
export const RECEIPT_JWS_TYPE = 'consent-receipt+jws';

/**
 * What signs receipts and never hands its private key out: the device key in the kiosk's vault, or the central
 * API's statement key. `publicKey` is the raw 32-byte Ed25519 key.
 */
export type ReceiptSigner = { keyId: string; publicKey: Uint8Array; sign(bytes: Uint8Array): Uint8Array };

type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

const base64url = (bytes: Uint8Array | string): string => jwsBase64url.encode(bytes);

// The WHATWG Encoding API is there wherever shared/ runs (Node, browsers); ES2024's lib, all shared/ may assume, does not declare it.
const encoding = globalThis as unknown as { TextEncoder: new () => { encode(text: string): Uint8Array }; TextDecoder: new () => { decode(bytes: Uint8Array): string } };

/** A raw Ed25519 public key as jose takes it: the same bytes the API publishes for the device (or for itself). */
export function receiptVerificationKey(rawPublicKey: Uint8Array): Promise<VerificationKey> {
  return importJWK({ kty: 'OKP', crv: 'Ed25519', x: base64url(rawPublicKey) }, 'EdDSA');
}

/**
 * Verifies a receipt JWS with jose against the signer's public key and returns its payload. Refuses any other
 * algorithm or type, and any changed byte.
 */
export async function verifyReceipt(jws: string, key: VerificationKey): Promise<unknown> {
  const { payload, protectedHeader } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
  if (protectedHeader.typ !== RECEIPT_JWS_TYPE) {
    throw new KioskFailure('invalid_request', `The JWS is a "${String(protectedHeader.typ)}", not a consent receipt.`);
  }
  return JSON.parse(new encoding.TextDecoder().decode(payload));
}

/**
 * Signs receipts as compact JWS (RFC 7515) with EdDSA over Ed25519 (RFC 8037), `kid` naming the signing key. The
 * payload is the RFC 8785 canonical JSON of the receipt, so the same receipt always has the same bytes.
 *
 * jose signs only with a key it holds, and the device key stays inside the vault (sealed by the OS keychain on a
 * production kiosk), so the signing input, base64url(header) "." base64url(payload), is handed to the vault's
 * Ed25519 `sign`; jose then verifies every receipt before it leaves, so what is written is what jose accepts.
 */
export function receiptSigning(signer: ReceiptSigner): (receipt: unknown) => Promise<string> {
  const key = receiptVerificationKey(signer.publicKey);
  const header = base64url(canonicalJson({ alg: 'EdDSA', kid: signer.keyId, typ: RECEIPT_JWS_TYPE }));
  return async (receipt) => {
    const input = `${header}.${base64url(canonicalJson(receipt))}`;
    const jws = `${input}.${base64url(signer.sign(new encoding.TextEncoder().encode(input)))}`;
    try {
      await verifyReceipt(jws, await key);
    } catch {
      throw new KioskFailure('internal', `A receipt signed with key ${signer.keyId} does not verify against that key; it was not written.`);
    }
    return jws;
  };
}
