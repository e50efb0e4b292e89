import { z } from 'zod';
import { Ed25519Signature, IsoTimestamp, KeyId, RawPublicKey, Sha256Hex } from './primitives.ts';

/**
 * What the central API signs with its own Ed25519 key (published at GET /v1/keys): "at `issuedAt` I held this
 * device's chain, without a gap, up to `head`". A kiosk records each one it is given in its own chain (a clock
 * observation), so every later event provably happened after `issuedAt`, and an export carries the API's
 * confirmation of how much of it the API had seen. Signed bytes: RFC 8785 canonical JSON of `statement`.
 */
export const ApiStatement = z
  .object({
    v: z.literal(1),
    type: z.literal('device_head'),
    keyId: KeyId,
    deviceId: z.uuid(),
    /** The contiguous prefix of the chain the API holds (seq 1..head.seq), or null before the first event. */
    head: z.object({ seq: z.number().int().min(1), hash: Sha256Hex }).strict().nullable(),
    issuedAt: IsoTimestamp,
  })
  .strict();
export type ApiStatement = z.infer<typeof ApiStatement>;

export const SignedApiStatement = z.object({ statement: ApiStatement, sig: Ed25519Signature }).strict();
export type SignedApiStatement = z.infer<typeof SignedApiStatement>;

/** GET /v1/keys: the API's statement keys, so a kiosk and an auditor can check a statement from outside. */
export const ApiKeys = z.object({
  keys: z.array(
    z.object({
      keyId: KeyId,
      publicKey: RawPublicKey,
      validFrom: IsoTimestamp,
      validUntil: IsoTimestamp.nullable(),
    }),
  ),
});
export type ApiKeys = z.infer<typeof ApiKeys>;
