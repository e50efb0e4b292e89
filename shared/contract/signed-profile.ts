import { z } from 'zod';
import { IsoTimestamp } from './primitives.ts';

/**
 * A provisioning profile as the organisation's provisioning desk signs it: the profile itself (checked with
 * `Profile` only after the signature is, so a tampered file is called tampered, not invalid), a revision that only
 * ever goes up (a terminal never goes back to an older one), when it was signed and until when a terminal may load
 * it, and the fingerprint of the key that signed it. `sig` is Ed25519 over the RFC 8785 canonical JSON of `signed`
 * as it stands in the file.
 */
export const SignedProfileStatement = z
  .object({
    v: z.literal(1),
    type: z.literal('provisioning_profile'),
    revision: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    issuedAt: IsoTimestamp,
    expiresAt: IsoTimestamp,
    /** `SHA256:` and the hex SHA-256 of the raw Ed25519 public key, as release manifests name their key. */
    keyFingerprint: z.string().regex(/^SHA256:[0-9a-f]{64}$/, 'must be SHA256: and 64 hex digits'),
    profile: z.record(z.string(), z.unknown()),
  })
  .strict();
export type SignedProfileStatement = z.infer<typeof SignedProfileStatement>;

export const SignedProfile = z
  .object({
    signed: SignedProfileStatement,
    sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url Ed25519 signature'),
  })
  .strict();
export type SignedProfile = z.infer<typeof SignedProfile>;

/**
 * The profile a file holds, signed or not, for readers that only need its content (the API naming businesses and data
 * controllers from its operator's own configuration): checking the signature is the kiosk's, against its pinned key.
 */
export function profileContent(json: unknown): unknown {
  const signed = SignedProfile.safeParse(json);
  return signed.success ? signed.data.signed.profile : json;
}

/** What the kiosk tells about the profile in force: the diagnostics screen and the heartbeat show it. */
export const ProfileInForce = z
  .object({
    id: z.string(),
    version: z.string(),
    revision: z.number().int(),
    keyFingerprint: z.string(),
    developmentKey: z.boolean(),
    expiresAt: IsoTimestamp,
    /** The last profile this terminal refused, and why, in one sentence for the technician; null when none. */
    refused: z.string().nullable(),
  })
  .strict();
export type ProfileInForce = z.infer<typeof ProfileInForce>;
