import type { z } from 'zod';
import {
  MARKETING_STOPPED_ERROR,
  MarketingBlockedStatus,
  MarketingPreferenceChange,
  WebhookContact,
  type WebhookMetadata,
  type WhatsAppWebhook,
} from '../../shared/contract/whatsapp-webhook.ts';
import type { RegisteredBusiness } from '../businesses/registered-business.ts';
import { ApiFailure } from '../http/api-failure.ts';

/** Who a WhatsApp change is about: a number, a business-scoped user id, or both (which maps one to the other). */
export interface WhatsAppUser {
  phone: string | null;
  userId: string | null;
}

export interface WhatsAppChange {
  businessId: string;
  user: WhatsAppUser;
  value: 'stop' | 'resume';
  /** Meta's time, as claimed; `atMs` is it no later than the delivery's arrival. */
  claimedMs: number;
  atMs: number;
  source: 'user_preferences' | 'error_131050';
}

export interface UserIdMapping {
  businessId: string;
  userId: string;
  phone: string;
}

export interface WebhookChanges {
  changes: WhatsAppChange[];
  mappings: UserIdMapping[];
}

const refuse = (message: string) => new ApiFailure('invalid_request', message);

function parsedOr<S extends z.ZodType>(schema: S, item: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw refuse(`Invalid WhatsApp webhook: ${where}.${issue?.path.map(String).join('.') || '(item)'}: ${issue?.message ?? 'malformed'}`);
}

const userOf = (phoneDigits: string | undefined, userId: string | undefined): WhatsAppUser => ({
  phone: phoneDigits === undefined ? null : `+${phoneDigits}`,
  userId: userId ?? null,
});

/**
 * What a signed webhook delivery changes: `user_preferences` stop/resume, and every send that failed with 131050 as
 * a stop (the person has stopped marketing; retrying would only fail again), each for the business whose number the
 * change's `metadata` names, and every user id the payload maps to a number. Refuses the whole delivery (nothing is
 * stored) for a business the API does not know, an item it cannot read, or a time beyond the delivery's arrival by
 * more than `toleranceMs`. Other items are ignored.
 */
export function changesIn(
  webhook: WhatsAppWebhook,
  arrivalMs: number,
  toleranceMs: number,
  businessOf: (metadata: WebhookMetadata) => RegisteredBusiness | undefined,
): WebhookChanges {
  const changes: WhatsAppChange[] = [];
  const mappings: UserIdMapping[] = [];
  webhook.entry.forEach((entry, e) =>
    entry.changes.forEach(({ value }, c) => {
      const where = `entry.${e}.changes.${c}.value`;
      const preferences = (value.user_preferences ?? []).filter((item) => (item as { category?: unknown } | null)?.category === 'marketing_messages');
      const blocked = (value.statuses ?? []).filter(isMarketingStopped);
      const contacts = value.contacts ?? [];
      if (preferences.length + blocked.length + contacts.length === 0) return;
      const business = value.metadata ? businessOf(value.metadata) : undefined;
      if (!business) {
        const named = value.metadata?.phone_number_id ?? value.metadata?.display_phone_number ?? 'none';
        throw refuse(`The webhook names a business number this API does not know (${where}.metadata: ${named}); nothing was stored.`);
      }
      const timeOf = (seconds: number, item: string): { claimedMs: number; atMs: number } => {
        const claimedMs = seconds * 1000;
        if (claimedMs > arrivalMs + toleranceMs) {
          throw refuse(`The webhook's ${item}.timestamp (${seconds}) lies beyond its arrival; nothing was stored.`);
        }
        return { claimedMs, atMs: Math.min(claimedMs, arrivalMs) };
      };
      const map = (phoneDigits: string | undefined, userId: string | undefined) => {
        if (phoneDigits !== undefined && userId !== undefined) mappings.push({ businessId: business.id, userId, phone: `+${phoneDigits}` });
      };
      contacts.forEach((item, i) => {
        const contact = parsedOr(WebhookContact, item, `${where}.contacts.${i}`);
        map(contact.wa_id, contact.user_id);
      });
      preferences.forEach((item, i) => {
        const change = parsedOr(MarketingPreferenceChange, item, `${where}.user_preferences.${i}`);
        map(change.wa_id, change.user_id);
        const time = timeOf(change.timestamp, `${where}.user_preferences.${i}`);
        changes.push({ businessId: business.id, user: userOf(change.wa_id, change.user_id), value: change.value, ...time, source: 'user_preferences' });
      });
      blocked.forEach((item, i) => {
        const status = parsedOr(MarketingBlockedStatus, item, `${where}.statuses.${i}`);
        map(status.recipient_id, status.recipient_user_id);
        const time = timeOf(status.timestamp, `${where}.statuses.${i}`);
        changes.push({ businessId: business.id, user: userOf(status.recipient_id, status.recipient_user_id), value: 'stop', ...time, source: 'error_131050' });
      });
    }),
  );
  return { changes, mappings };
}

/** A failed status carrying 131050, however malformed the rest: it must be read or refused, never skipped. */
function isMarketingStopped(item: unknown): boolean {
  const errors = (item as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.some((error) => (error as { code?: unknown } | null)?.code === MARKETING_STOPPED_ERROR);
}
