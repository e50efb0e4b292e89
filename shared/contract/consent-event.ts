import { z } from 'zod';
import { ConsentKind, E164, IsoTimestamp, Locale, PurposeCategory, Sha256Hex, Slug, SubjectSource } from './primitives.ts';

export const EVENT_SCHEMA_VERSION = 1;

/** `prev` of a device's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * What a device signs. The subject appears only as a salted SHA-256 commitment to its opening (phone, customer
 * reference, salt): the personal data can then be erased after retention while every signature and the whole
 * chain stay verifiable. See docs/event-format.md for the exact bytes.
 */
export const ConsentEventBody = z
  .object({
    v: z.literal(EVENT_SCHEMA_VERSION),
    id: z.uuid({ version: 'v7' }),
    seq: z.number().int().min(1),
    prev: Sha256Hex,
    device: z.object({ id: z.uuid(), keyId: z.string().regex(/^[0-9a-f]{32}$/) }).strict(),
    kind: ConsentKind,
    subject: z.object({ source: SubjectSource, commitment: Sha256Hex }).strict(),
    business: z.object({ name: z.string().min(1).max(100), whatsappNumber: E164 }).strict(),
    purpose: z.object({ id: Slug, category: PurposeCategory }).strict(),
    notice: z
      .object({ id: Slug, version: z.string().min(1).max(32), locale: Locale, text: z.string().min(1).max(2000) })
      .strict(),
    channel: Slug,
    entryPoint: z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, 'must look like "atm.after_transaction"'),
    flowId: Slug,
    capturedAt: IsoTimestamp,
    clock: z.object({ knownGood: z.boolean() }).strict(),
  })
  .strict();
export type ConsentEventBody = z.infer<typeof ConsentEventBody>;

export const ConsentEvent = ConsentEventBody.extend({
  sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url Ed25519 signature'),
}).strict();
export type ConsentEvent = z.infer<typeof ConsentEvent>;

/** The personal data behind `subject.commitment`; erased by retention, never logged. */
export const SubjectOpening = z
  .object({
    phone: E164,
    customerRef: z.string().min(1).max(128).optional(),
    salt: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be 16 random bytes in base64url'),
  })
  .strict();
export type SubjectOpening = z.infer<typeof SubjectOpening>;
