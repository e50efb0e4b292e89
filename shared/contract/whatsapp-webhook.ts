import { z } from 'zod';

/**
 * The subset of the WhatsApp Cloud API webhook payload the central API acts on. The envelope is parsed loosely
 * (Meta adds fields and sends other change kinds to the same URL); only the items below change anything.
 */

/** A WhatsApp user id: the phone number in digits, without '+'. */
export const WaId = z.string().regex(/^[1-9]\d{6,14}$/, 'must be a WhatsApp id (digits of an E.164 number)');

/**
 * A business-scoped user id (BSUID, `user_id`): Meta's id for a user within one business portfolio, sent beside or
 * (for a user with a username) instead of `wa_id`: country code, '.', up to 128 alphanumerics, e.g.
 * `US.13491208655302741918`; a parent id has `ENT.` after the country code.
 */
export const BusinessScopedUserId = z.string().regex(/^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$/, 'must be a business-scoped user id such as US.13491208655302741918');

/**
 * Unix seconds; Meta sends them as strings in `statuses` and as numbers in `user_preferences`. Bounded so that the
 * time exists (JavaScript dates end in 275760); how far beyond its arrival a time may lie is the API's to decide.
 */
const UnixSeconds = z
  .union([z.string().regex(/^\d{1,12}$/), z.number().int().min(0)])
  .transform(Number)
  .refine((seconds) => seconds <= 8_640_000_000_000, 'is not a time (seconds since 1970 beyond the year 275760)');

const namesTheUser = (item: { wa_id?: string; user_id?: string }) => item.wa_id !== undefined || item.user_id !== undefined;

/** `entry[].changes[].value.user_preferences[]` (field `user_preferences`): by `wa_id`, `user_id`, or both. */
export const MarketingPreferenceChange = z
  .object({
    wa_id: WaId.optional(),
    user_id: BusinessScopedUserId.optional(),
    parent_user_id: BusinessScopedUserId.optional(),
    category: z.literal('marketing_messages'),
    value: z.enum(['stop', 'resume']),
    timestamp: UnixSeconds,
    detail: z.string().max(500).optional(),
  })
  .refine(namesTheUser, { message: 'names no user: neither wa_id nor user_id', path: ['wa_id'] });
export type MarketingPreferenceChange = z.infer<typeof MarketingPreferenceChange>;

/** A user who stopped marketing messages: a marketing send to them fails with this code, never to be retried. */
export const MARKETING_STOPPED_ERROR = 131050;

/** `entry[].changes[].value.statuses[]` (field `messages`): a send that failed because marketing is stopped. */
export const MarketingBlockedStatus = z
  .object({
    status: z.literal('failed'),
    recipient_id: WaId.optional(),
    recipient_user_id: BusinessScopedUserId.optional(),
    timestamp: UnixSeconds,
    errors: z.array(z.object({ code: z.number().int() })).refine((errors) => errors.some((e) => e.code === MARKETING_STOPPED_ERROR)),
  })
  .refine((status) => status.recipient_id !== undefined || status.recipient_user_id !== undefined, {
    message: 'names no recipient: neither recipient_id nor recipient_user_id',
    path: ['recipient_id'],
  });
export type MarketingBlockedStatus = z.infer<typeof MarketingBlockedStatus>;

/** `value.contacts[]`: who the change is about; when it carries both ids, it maps the user id to the number. */
export const WebhookContact = z.object({ wa_id: WaId.optional(), user_id: BusinessScopedUserId.optional() });
export type WebhookContact = z.infer<typeof WebhookContact>;

/** `value.metadata`: the business number the change came through. */
export const WebhookMetadata = z.object({
  display_phone_number: z.string().max(32).optional(),
  phone_number_id: z.string().regex(/^\d{1,32}$/).optional(),
});
export type WebhookMetadata = z.infer<typeof WebhookMetadata>;

export const WhatsAppWebhook = z.object({
  object: z.string(),
  entry: z
    .array(
      z.object({
        changes: z.array(
          z.object({
            field: z.string(),
            value: z.object({
              metadata: WebhookMetadata.optional(),
              contacts: z.array(z.unknown()).max(1000).optional(),
              user_preferences: z.array(z.unknown()).max(1000).optional(),
              statuses: z.array(z.unknown()).max(1000).optional(),
            }),
          }),
        ),
      }),
    )
    .max(1000),
});
export type WhatsAppWebhook = z.infer<typeof WhatsAppWebhook>;
