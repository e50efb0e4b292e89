import { KioskFailure, parseOrFail } from './contract/errors.ts';
import { Profile } from './contract/profile.ts';
import { SignedProfile } from './contract/signed-profile.ts';
import { canonicalJson } from './event-bytes.ts';

/** A profile whose signature, key, expiry and content have all been checked. */
export type VerifiedProfile = { profile: Profile; signed: SignedProfile; revision: number; keyFingerprint: string; expiresAt: string };

/**
 * The organisation's provisioning key as a checker knows it: its fingerprint and an Ed25519 verify over the given
 * bytes (Node's crypto on the kiosk and on the API: this module stays pure).
 */
export type ProfileKeyCheck = {
  fingerprint: string;
  /** Ed25519 over the UTF-8 bytes of `message`; `signature` as base64url. */
  verify: (message: string, signature: string) => boolean;
  /** Who checks, as the sentences name it: "this terminal", "this API". */
  holder: string;
};

/**
 * Checks a signed profile as a terminal must before it shows one word of it, and as the central API does before it
 * publishes one, in this order: it is a signed profile at all, signed by the pinned key, not changed since, not
 * expired, and a valid profile. Each refusal is one sentence a technician or an operator can act on, naming `source`.
 */
export function checkSignedProfile(json: unknown, key: ProfileKeyCheck, now: Date, source: string): VerifiedProfile {
  const envelope = SignedProfile.safeParse(json);
  if (!envelope.success) {
    const looksLikeProfile = typeof json === 'object' && json !== null && 'flows' in json;
    throw new KioskFailure(
      'forbidden',
      looksLikeProfile
        ? `The profile ${source} is not signed: ${key.holder} loads only profiles signed with the organisation's provisioning key (kioskctl profile sign).`
        : `The profile ${source} is not a signed provisioning profile.`,
    );
  }
  const { signed, sig } = envelope.data;
  if (signed.keyFingerprint !== key.fingerprint) {
    throw new KioskFailure(
      'forbidden',
      `The profile ${source} is signed by key ${signed.keyFingerprint}, not by the provisioning key ${key.holder} trusts (${key.fingerprint}).`,
    );
  }
  if (!key.verify(canonicalJson(signed), sig)) {
    throw new KioskFailure('forbidden', `The profile ${source} was changed after it was signed: its signature does not verify.`);
  }
  if (Date.parse(signed.expiresAt) <= now.getTime()) {
    throw new KioskFailure('forbidden', `The profile ${source} (revision ${signed.revision}) expired at ${signed.expiresAt}; load a newer signed profile.`);
  }
  const profile = parseOrFail(Profile, signed.profile, `profile ${source}`);
  checkCoverage(profile, source);
  return { profile, signed: envelope.data, revision: signed.revision, keyFingerprint: signed.keyFingerprint, expiresAt: signed.expiresAt };
}

/** What the schema alone cannot check: every flow can be shown in every language the terminal offers. */
export function checkCoverage(profile: Profile, path: string): void {
  const bad = (message: string) => new KioskFailure('invalid_request', `Invalid profile ${path}: ${message}`);
  if (!profile.locales.includes(profile.defaultLocale)) {
    throw bad(`defaultLocale "${profile.defaultLocale}" is not one of its locales.`);
  }
  const flowIds = new Set<string>();
  for (const flow of profile.flows) {
    if (flowIds.has(flow.id)) throw bad(`flow "${flow.id}" is defined twice.`);
    flowIds.add(flow.id);
    for (const locale of profile.locales) {
      if (!flow.notices.some((notice) => notice.locale === locale)) {
        throw bad(`flow "${flow.id}" has no consent notice in "${locale}".`);
      }
      const unlabelled = flow.purposes.find((purpose) => !purpose.label[locale]);
      if (unlabelled) throw bad(`purpose "${unlabelled.id}" of flow "${flow.id}" has no label in "${locale}".`);
    }
  }
}

