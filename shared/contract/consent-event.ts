import { z } from 'zod';
import {
  ConsentKind,
  E164,
  Ed25519Signature,
  IsoTimestamp,
  KeyId,
  Locale,
  PurposeCategory,
  Sha256Hex,
  Slug,
  SubjectSource,
  Text,
} from './primitives.ts';

/** `prev` of a device's first event. */
export const GENESIS_HASH = '0'.repeat(64);

export const EntryPoint = z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, 'must look like "atm.after_transaction"');

/** The fields every chain event starts with (docs/event-format.md). */
export const EventLink = {
  id: z.uuid({ version: 'v7' }),
  seq: z.number().int().min(1),
  prev: Sha256Hex,
  device: z.object({ id: z.uuid(), keyId: KeyId }).strict(),
};

/** The parts of a consent that say what was agreed to, the same in every schema version. */
const ConsentTerms = {
  kind: ConsentKind,
  subject: z.object({ source: SubjectSource, commitment: Sha256Hex }).strict(),
  purpose: z.object({ id: Slug, category: PurposeCategory }).strict(),
  notice: z.object({ id: Slug, version: Text(1, 32), locale: Locale, text: Text(1, 2000) }).strict(),
  channel: Slug,
  entryPoint: EntryPoint,
  flowId: Slug,
  capturedAt: IsoTimestamp,
};

/**
 * Version 1 consent events, as kiosks before the trust model signed them: still verified, synced and exported,
 * never written any more. Their time is bounded only by what the API knows (docs/server.md, "Effective time").
 */
export const ConsentEventBodyV1 = z
  .object({
    v: z.literal(1),
    ...EventLink,
    ...ConsentTerms,
    business: z.object({ name: Text(1, 100), whatsappNumber: E164 }).strict(),
    clock: z.object({ knownGood: z.boolean() }).strict(),
  })
  .strict();
export type ConsentEventBodyV1 = z.infer<typeof ConsentEventBodyV1>;

/**
 * The device clock at the moment an event was made: wall time is `capturedAt`; the monotonic time since boot and
 * the boot id let the API correct it by a clock observation of the same boot, whatever the wall clock did between.
 */
export const DeviceClock = z
  .object({
    knownGood: z.boolean(),
    bootId: z.uuid(),
    monoMs: z.number().int().min(0),
  })
  .strict();
export type DeviceClock = z.infer<typeof DeviceClock>;

/**
 * What a device signs for one consent (version 2). The subject appears only as a salted SHA-256 commitment to its
 * opening (phone, customer reference, salt): the personal data can then be erased after retention while every
 * signature and the whole chain stay verifiable. The business is named by the profile's id as well as its name
 * and number: consent is given to one business, and the API scopes every state and check to it.
 */
export const ConsentEventBody = z
  .object({
    v: z.literal(2),
    type: z.literal('consent'),
    ...EventLink,
    ...ConsentTerms,
    business: z.object({ id: Slug, name: Text(1, 100), whatsappNumber: E164 }).strict(),
    clock: DeviceClock,
  })
  .strict();
export type ConsentEventBody = z.infer<typeof ConsentEventBody>;

export const Signed = { sig: Ed25519Signature };

/** The personal data behind `subject.commitment`; erased by retention, never logged. */
export const SubjectOpening = z
  .object({
    phone: E164,
    customerRef: Text(1, 128).optional(),
    salt: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be 16 random bytes in base64url'),
  })
  .strict();
export type SubjectOpening = z.infer<typeof SubjectOpening>;
