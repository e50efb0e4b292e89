import type { SignedApiStatement } from '../../shared/contract/api-statement.ts';
import { canonicalApiStatement } from '../../shared/event-bytes.ts';
import { publicKeyFromRaw, verifySignature } from '../ledger/event-signing.ts';
import type { PinnedApiKeys } from './enrolment.ts';

/** `unpinnedKey`: signed by a key the kiosk has not pinned (the API may have replaced its key since). */
export type StatementCheck = { ok: true } | { ok: false; reason: string; unpinnedKey?: true };

/**
 * A statement the kiosk may rely on: about this device, signed by one of the API's keys the kiosk pinned, within
 * that key's validity. The API's answers are no more trusted than the kiosk's own claims are by the API: a
 * statement that fails any of these is never recorded in the chain nor kept for the export.
 */
export function checkApiStatement(signed: SignedApiStatement, pinned: PinnedApiKeys, deviceId: string): StatementCheck {
  const { statement } = signed;
  if (statement.deviceId !== deviceId) return { ok: false, reason: `the statement is about device ${statement.deviceId}, not this one` };
  const key = pinned.find((candidate) => candidate.keyId === statement.keyId);
  if (!key) return { ok: false, reason: `the statement is signed by key ${statement.keyId}, which this kiosk has not pinned`, unpinnedKey: true };
  const issuedAt = Date.parse(statement.issuedAt);
  if (issuedAt < Date.parse(key.validFrom) || (key.validUntil !== null && issuedAt > Date.parse(key.validUntil))) {
    return { ok: false, reason: `the statement was issued at ${statement.issuedAt}, outside the validity of key ${key.keyId}` };
  }
  const bytes = Buffer.from(canonicalApiStatement(statement));
  if (!verifySignature(bytes, signed.sig, publicKeyFromRaw(Buffer.from(key.publicKey, 'base64url')))) {
    return { ok: false, reason: `the statement's signature does not verify with key ${key.keyId}` };
  }
  return { ok: true };
}
