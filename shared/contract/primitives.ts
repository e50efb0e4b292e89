import { z } from 'zod';

/** Identifiers in profiles and flows: short, stable, machine-readable. */
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, "_", "-" or "."');

export const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +819012345678');

export const Locale = z.enum(['ja', 'en', 'es', 'pt-BR', 'id']);
export type Locale = z.infer<typeof Locale>;

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256 digest');

export const IsoTimestamp = z.iso.datetime({ offset: false, precision: 3 });

export const PurposeCategory = z.enum(['utility', 'marketing']);
export type PurposeCategory = z.infer<typeof PurposeCategory>;

export const ConsentKind = z.enum(['opt_in', 'opt_out']);
export type ConsentKind = z.infer<typeof ConsentKind>;

export const SubjectSource = z.enum(['host_verified', 'self_entered']);
export type SubjectSource = z.infer<typeof SubjectSource>;
