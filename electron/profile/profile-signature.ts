import crypto from 'node:crypto';
import { KioskFailure } from '../../shared/contract/errors.ts';
import type { Profile } from '../../shared/contract/profile.ts';
import type { SignedProfile, SignedProfileStatement } from '../../shared/contract/signed-profile.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { checkSignedProfile, type VerifiedProfile } from '../../shared/signed-profile-check.ts';
import type { PinnedProfileKey, ProfileSigningKey } from './provisioning-key.ts';

export type { VerifiedProfile };

export type SignRequest = { revision: number; expiresAt: Date; issuedAt?: Date };

/**
 * Signs a profile over the canonical JSON of the signed statement. It checks nothing of the profile: `kioskctl
 * profile sign` signs only what `loadProfile` accepted, and the terminal checks it all again anyway.
 */
export function signProfile(profile: Profile, key: ProfileSigningKey, request: SignRequest): SignedProfile {
  const issuedAt = request.issuedAt ?? new Date();
  if (request.expiresAt.getTime() <= issuedAt.getTime()) throw new KioskFailure('invalid_request', 'The expiry must be after the time of signing.');
  const signed: SignedProfileStatement = {
    v: 1,
    type: 'provisioning_profile',
    revision: request.revision,
    issuedAt: issuedAt.toISOString(),
    expiresAt: request.expiresAt.toISOString(),
    keyFingerprint: key.fingerprint,
    profile: profile as Record<string, unknown>,
  };
  return { signed, sig: crypto.sign(null, Buffer.from(canonicalJson(signed)), key.privateKey).toString('base64url') };
}

/** The kiosk's check of a signed profile (shared/signed-profile-check.ts) against its pinned key. */
export function verifySignedProfile(json: unknown, pin: PinnedProfileKey, now: Date, source: string): VerifiedProfile {
  return checkSignedProfile(json, { fingerprint: pin.fingerprint, verify: (message, sig) => crypto.verify(null, Buffer.from(message), pin.publicKey, Buffer.from(sig, 'base64url')), holder: 'this terminal' }, now, source);
}

/** Whether two signed profiles have the same signed content (the signature itself may differ: Ed25519 is not, but a re-sign could be). */
export function sameSignedContent(a: SignedProfile, b: SignedProfile): boolean {
  return canonicalJson(a.signed) === canonicalJson(b.signed);
}
