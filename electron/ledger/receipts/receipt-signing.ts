import { compactVerify, importJWK } from 'jose';
import { KioskFailure } from '../../../shared/contract/errors.ts';
import { canonicalJson } from '../../../shared/event-bytes.ts';
import type { KeyVault } from '../key-vault.ts';

/** The JWS `typ` of a consent receipt (RFC 8725 §3.11: explicit typing, so no other JWS passes for a receipt). */
export const RECEIPT_JWS_TYPE = 'consent-receipt+jws';

/** What signs receipts: the device key in its vault, which signs bytes and never hands the private key out. */
export type ReceiptSigner = Pick<KeyVault, 'keyId' | 'publicKey' | 'sign'>;

type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

const base64url = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');

/** The device's raw Ed25519 public key as jose takes it: the same bytes the API publishes for the device. */
export function receiptVerificationKey(rawPublicKey: Uint8Array): Promise<VerificationKey> {
  return importJWK({ kty: 'OKP', crv: 'Ed25519', x: base64url(rawPublicKey) }, 'EdDSA');
}

/**
 * Verifies a receipt JWS with jose against a device public key and returns its payload. Refuses any other
 * algorithm or type, and any changed byte.
 */
export async function verifyReceipt(jws: string, key: VerificationKey): Promise<unknown> {
  const { payload, protectedHeader } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
  if (protectedHeader.typ !== RECEIPT_JWS_TYPE) {
    throw new KioskFailure('invalid_request', `The JWS is a "${String(protectedHeader.typ)}", not a consent receipt.`);
  }
  return JSON.parse(new TextDecoder().decode(payload));
}

/**
 * Signs receipts as compact JWS (RFC 7515) with EdDSA over Ed25519 (RFC 8037), `kid` naming the device key. The
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
    const jws = `${input}.${base64url(signer.sign(Buffer.from(input, 'ascii')))}`;
    try {
      await verifyReceipt(jws, await key);
    } catch {
      throw new KioskFailure('internal', `A receipt signed with device key ${signer.keyId} does not verify against that key; it was not written.`);
    }
    return jws;
  };
}
