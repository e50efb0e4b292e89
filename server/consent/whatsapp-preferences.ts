import { MarketingBlockedStatus, MarketingPreferenceChange, type WhatsAppWebhook } from '../../shared/contract/whatsapp-webhook.ts';
import type { WhatsAppPreferenceRecord } from '../store/consent-history.ts';

/**
 * The marketing preferences a webhook delivery carries: `user_preferences` stop/resume, and every send that failed
 * with 131050 as a stop (the person has stopped marketing; retrying would only fail again). Other items are ignored.
 */
export function preferencesIn(webhook: WhatsAppWebhook): WhatsAppPreferenceRecord[] {
  const records: WhatsAppPreferenceRecord[] = [];
  for (const { value } of webhook.entry.flatMap((entry) => entry.changes)) {
    for (const item of value.user_preferences ?? []) {
      const change = MarketingPreferenceChange.safeParse(item);
      if (change.success) {
        records.push({ phone: `+${change.data.wa_id}`, value: change.data.value, atMs: change.data.timestamp * 1000, source: 'user_preferences' });
      }
    }
    for (const item of value.statuses ?? []) {
      const blocked = MarketingBlockedStatus.safeParse(item);
      if (blocked.success) records.push({ phone: `+${blocked.data.recipient_id}`, value: 'stop', atMs: blocked.data.timestamp * 1000, source: 'error_131050' });
    }
  }
  return records;
}
