import { z } from 'zod';

/** Identifiers in profiles and flows: short, stable, machine-readable. */
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, "_", "-" or "."');

/**
 * Free text that crosses a boundary. RFC 8785 works on I-JSON (RFC 7493): a string with a lone surrogate has no
 * UTF-8 form, so an event carrying one could be signed here and never re-verified by another implementation.
 * Every free-text field is this, never a bare z.string().
 */
export const Text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((text) => text.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)');

export const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +819012345678');

export const Locale = z.enum(['ja', 'en', 'es', 'pt-BR', 'id']);
export type Locale = z.infer<typeof Locale>;

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256 digest');

export const IsoTimestamp = z.iso.datetime({ offset: false, precision: 3 });

/** First 16 bytes (32 hex chars) of SHA-256 of a raw 32-byte Ed25519 public key. */
export const KeyId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex characters');

/** A raw 32-byte Ed25519 public key in base64url. */
export const RawPublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a raw 32-byte Ed25519 public key in base64url');

export const Ed25519Signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url Ed25519 signature');

export const PurposeCategory = z.enum(['utility', 'marketing']);
export type PurposeCategory = z.infer<typeof PurposeCategory>;

export const ConsentKind = z.enum(['opt_in', 'opt_out']);
export type ConsentKind = z.infer<typeof ConsentKind>;

export const SubjectSource = z.enum(['host_verified', 'self_entered']);
export type SubjectSource = z.infer<typeof SubjectSource>;

/**
 * Where a terminal stands, so an audit says "ATM 0413 at Shinjuku branch", not a UUID. From the terminal's profile
 * (and its local terminal id); reported at enrolment and with every heartbeat.
 */
export const Placement = z
  .object({
    organisationUnit: Text(1, 100),
    siteId: Slug,
    siteName: Text(1, 100),
    terminalId: Text(1, 64),
  })
  .strict();
export type Placement = z.infer<typeof Placement>;
