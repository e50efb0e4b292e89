import { z } from 'zod';

/**
 * The subset of the WhatsApp Cloud API webhook payload the central API acts on. The envelope is parsed loosely
 * (Meta adds fields and sends other change kinds to the same URL); only the items below change anything.
 */

/** A WhatsApp user id: the phone number in digits, without '+'. */
export const WaId = z.string().regex(/^[1-9]\d{6,14}$/, 'must be a WhatsApp id (digits of an E.164 number)');

/** Unix seconds; Meta sends them as strings in `statuses` and as numbers in `user_preferences`. */
const UnixSeconds = z.union([z.string().regex(/^\d{1,12}$/), z.number().int().min(0)]).transform(Number);

/** `entry[].changes[].value.user_preferences[]` (field `user_preferences`). */
export const MarketingPreferenceChange = z.object({
  wa_id: WaId,
  category: z.literal('marketing_messages'),
  value: z.enum(['stop', 'resume']),
  timestamp: UnixSeconds,
  detail: z.string().optional(),
});
export type MarketingPreferenceChange = z.infer<typeof MarketingPreferenceChange>;

/** A user who stopped marketing messages: a marketing send to them fails with this code, never to be retried. */
export const MARKETING_STOPPED_ERROR = 131050;

/** `entry[].changes[].value.statuses[]` (field `messages`) for a send that failed because marketing is stopped. */
export const MarketingBlockedStatus = z.object({
  status: z.literal('failed'),
  recipient_id: WaId,
  timestamp: UnixSeconds,
  errors: z.array(z.object({ code: z.number().int() })).refine((errors) => errors.some((e) => e.code === MARKETING_STOPPED_ERROR)),
});
export type MarketingBlockedStatus = z.infer<typeof MarketingBlockedStatus>;

export const WhatsAppWebhook = z.object({
  object: z.string(),
  entry: z
    .array(
      z.object({
        changes: z.array(
          z.object({
            field: z.string(),
            value: z.object({ user_preferences: z.array(z.unknown()).optional(), statuses: z.array(z.unknown()).optional() }),
          }),
        ),
      }),
    )
    .max(1000),
});
export type WhatsAppWebhook = z.infer<typeof WhatsAppWebhook>;
