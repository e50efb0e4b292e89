import crypto from 'node:crypto';
import { KioskFailure, parseOrFail } from '../../shared/contract/errors.ts';
import { Profile } from '../../shared/contract/profile.ts';
import { SignedProfile, type SignedProfileStatement } from '../../shared/contract/signed-profile.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { checkCoverage } from '../host/profile-file.ts';
import type { PinnedProfileKey, ProfileSigningKey } from './provisioning-key.ts';

/** A profile whose signature, key, expiry and content have all been checked. */
export type VerifiedProfile = { profile: Profile; signed: SignedProfile; revision: number; keyFingerprint: string; expiresAt: string };

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

/**
 * Checks a profile file's content as a terminal must before it shows one word of it, in this order: it is a signed
 * profile at all, signed by the pinned key, not changed since, not expired, and a valid profile. Each refusal is one
 * sentence a technician can act on, naming `source`.
 */
export function verifySignedProfile(json: unknown, pin: PinnedProfileKey, now: Date, source: string): VerifiedProfile {
  const envelope = SignedProfile.safeParse(json);
  if (!envelope.success) {
    const looksLikeProfile = typeof json === 'object' && json !== null && 'flows' in json;
    throw new KioskFailure(
      'forbidden',
      looksLikeProfile
        ? `The profile ${source} is not signed: this terminal loads only profiles signed with the organisation's provisioning key (kioskctl profile sign).`
        : `The profile ${source} is not a signed provisioning profile.`,
    );
  }
  const { signed, sig } = envelope.data;
  if (signed.keyFingerprint !== pin.fingerprint) {
    throw new KioskFailure(
      'forbidden',
      `The profile ${source} is signed by key ${signed.keyFingerprint}, not by the provisioning key this terminal trusts (${pin.fingerprint}).`,
    );
  }
  if (!crypto.verify(null, Buffer.from(canonicalJson(signed)), pin.publicKey, Buffer.from(sig, 'base64url'))) {
    throw new KioskFailure('forbidden', `The profile ${source} was changed after it was signed: its signature does not verify.`);
  }
  if (Date.parse(signed.expiresAt) <= now.getTime()) {
    throw new KioskFailure('forbidden', `The profile ${source} (revision ${signed.revision}) expired at ${signed.expiresAt}; load a newer signed profile.`);
  }
  const profile = parseOrFail(Profile, signed.profile, `profile ${source}`);
  checkCoverage(profile, source);
  return { profile, signed: envelope.data, revision: signed.revision, keyFingerprint: signed.keyFingerprint, expiresAt: signed.expiresAt };
}

/** Whether two signed profiles have the same signed content (the signature itself may differ: Ed25519 is not, but a re-sign could be). */
export function sameSignedContent(a: SignedProfile, b: SignedProfile): boolean {
  return canonicalJson(a.signed) === canonicalJson(b.signed);
}
