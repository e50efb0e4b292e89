import { z } from 'zod';
import { EntryPoint } from './consent-event.ts';
import { ConsentKind, IsoTimestamp, Locale, Slug, SubjectSource, Text } from './primitives.ts';

const RawPhone = z.string().min(1).max(32);
const Country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code');

/**
 * One consent: the purposes a person accepted with one sentence, and that sentence exactly as shown. The host
 * renders the sentence again and refuses a mismatch, so what is signed is what was on screen.
 */
export const ConsentChoice = z
  .object({
    purposeIds: z.array(Slug).min(1).max(10),
    shownText: Text(1, 2000),
  })
  .strict();

const CaptureCommon = {
  kind: ConsentKind,
  flowId: Slug,
  entryPoint: EntryPoint,
  locale: Locale,
  consents: z.array(ConsentChoice).min(1).max(5),
};

/** What the renderer sends. A host-verified number is referred to by the handle the host integration issued. */
export const CaptureRequest = z
  .object({
    ...CaptureCommon,
    subject: z.discriminatedUnion('source', [
      z.object({ source: z.literal('self_entered'), phone: RawPhone, country: Country.optional() }).strict(),
      z.object({ source: z.literal('host_verified'), handle: z.string().min(1).max(128) }).strict(),
    ]),
  })
  .strict();
export type CaptureRequest = z.infer<typeof CaptureRequest>;

/** What the ledger captures: the request with its subject resolved by the host. */
export const ConsentDraft = z
  .object({
    ...CaptureCommon,
    subject: z
      .object({
        source: SubjectSource,
        phone: RawPhone,
        country: Country.optional(),
        customerRef: Text(1, 128).optional(),
      })
      .strict(),
  })
  .strict();
export type ConsentDraft = z.infer<typeof ConsentDraft>;

export const CaptureResult = z.object({
  events: z.array(z.object({ id: z.uuid(), seq: z.number().int(), purposeId: Slug })),
  committedAt: IsoTimestamp,
});
export type CaptureResult = z.infer<typeof CaptureResult>;
