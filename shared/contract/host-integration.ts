import { z } from 'zod';
import { E164, Slug, Text } from './primitives.ts';

/**
 * What the bank's or airline's own terminal software pushes when it has identified the person at the terminal
 * (card + PIN, a scanned boarding pass): the verified number for the transaction now running. The host keeps it
 * only until the next flow of that kind starts, or until it expires, and never shows it unmasked.
 */
export const VerifiedSubjectPush = z
  .object({
    flowId: Slug,
    phone: E164,
    customerRef: Text(1, 128).optional(),
    /** How long the transaction may take to reach the opt-in step. */
    ttlSeconds: z.number().int().min(5).max(900).default(120),
  })
  .strict();
export type VerifiedSubjectPush = z.infer<typeof VerifiedSubjectPush>;

export const VerifiedSubjectAccepted = z.object({
  flowId: Slug,
  masked: z.string(),
  expiresAt: z.iso.datetime({ offset: false, precision: 3 }),
});
export type VerifiedSubjectAccepted = z.infer<typeof VerifiedSubjectAccepted>;

/** The transaction ended (card returned, customer walked away): forget any pushed number for the flow. */
export const VerifiedSubjectClear = z.object({ flowId: Slug }).strict();
export type VerifiedSubjectClear = z.infer<typeof VerifiedSubjectClear>;
