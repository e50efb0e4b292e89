import { describe, expect, it } from 'vitest';
import { WhatsAppWebhook, type WebhookMetadata } from '../../../shared/contract/whatsapp-webhook.ts';
import type { RegisteredBusiness } from '../../../server/businesses/registered-business.ts';
import { changesIn } from '../../../server/consent/whatsapp-changes.ts';
import { failedSendWebhook, incomingMessageWebhook, userPreferencesWebhook, type WebhookBusiness } from '../../fixtures/whatsapp-webhooks.ts';
import { TEST_BUSINESSES } from './test-api-config.ts';

// Which WhatsApp changes a signed delivery makes, for which business and at what time (server/consent/whatsapp-changes.ts),
// without HTTP; whatsapp-webhook.test.ts delivers them to the API.
const BANK: WebhookBusiness = { displayPhoneNumber: '81312345678', phoneNumberId: TEST_BUSINESSES[0]!.whatsappPhoneNumberId };
const AIRLINE: WebhookBusiness = { displayPhoneNumber: '81362345678', phoneNumberId: TEST_BUSINESSES[1]!.whatsappPhoneNumberId };
const PHONE = '+819012345678';
const USER_ID = 'JP.1234567890123456';
const ARRIVAL_S = 1_772_352_000;
const ARRIVAL = ARRIVAL_S * 1000;
const TOLERANCE = 60_000;

/** The registry as the webhook route asks it: by the business number's id, else its display number. */
const businessOf = (metadata: WebhookMetadata) =>
  TEST_BUSINESSES.map((business, i) => ({ business, number: [BANK, AIRLINE][i]! })).find(
    ({ number }) => metadata.phone_number_id === number.phoneNumberId || (metadata.phone_number_id === undefined && metadata.display_phone_number === number.displayPhoneNumber),
  )?.business as RegisteredBusiness | undefined;

const changes = (payload: unknown) => changesIn(WhatsAppWebhook.parse(payload), ARRIVAL, TOLERANCE, businessOf);
const refusal = (payload: unknown) => {
  try {
    changes(payload);
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  throw new Error('the delivery was accepted');
};

/** Two deliveries' entries in one. */
const together = (...payloads: { entry: unknown[] }[]) => ({ object: 'whatsapp_business_account', entry: payloads.flatMap((payload) => payload.entry) });

describe('WhatsApp changes: what a delivery changes, for whom, with which business, when', () => {
  it('applies a marketing stop to the business whose number it came through, at Meta’s time, and maps the user id to the number', () => {
    expect(changes(userPreferencesWebhook({ phone: PHONE, userId: USER_ID }, 'stop', ARRIVAL_S - 30, AIRLINE))).toEqual({
      changes: [
        { businessId: TEST_BUSINESSES[1]!.id, user: { phone: PHONE, userId: USER_ID }, value: 'stop', claimedMs: ARRIVAL - 30_000, atMs: ARRIVAL - 30_000, source: 'user_preferences' },
      ],
      mappings: [
        { businessId: TEST_BUSINESSES[1]!.id, userId: USER_ID, phone: PHONE },
        { businessId: TEST_BUSINESSES[1]!.id, userId: USER_ID, phone: PHONE },
      ],
    });
  });

  it('keeps a resume for a business-scoped user id without a number, mapping nothing', () => {
    expect(changes(userPreferencesWebhook({ userId: USER_ID }, 'resume', ARRIVAL_S, BANK))).toEqual({
      changes: [{ businessId: TEST_BUSINESSES[0]!.id, user: { phone: null, userId: USER_ID }, value: 'resume', claimedMs: ARRIVAL, atMs: ARRIVAL, source: 'user_preferences' }],
      mappings: [],
    });
  });

  it('places a change Meta stamps just after the arrival (within the tolerance) at the arrival, keeping the claim', () => {
    expect(changes(userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S + 60, BANK)).changes).toEqual([
      expect.objectContaining({ claimedMs: ARRIVAL + 60_000, atMs: ARRIVAL }),
    ]);
  });

  it('refuses a whole delivery whose change lies beyond its arrival by more than the tolerance, naming the item', () => {
    const payload = together(userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, BANK), userPreferencesWebhook(PHONE, 'resume', ARRIVAL_S + 61, BANK));
    expect(refusal(payload)).toMatchObject({
      code: 'invalid_request',
      message: `The webhook's entry.1.changes.0.value.user_preferences.0.timestamp (${ARRIVAL_S + 61}) lies beyond its arrival; nothing was stored.`,
    });
    expect(refusal(failedSendWebhook({ phone: PHONE }, 131050, ARRIVAL_S + 61, BANK)).message).toBe(
      `The webhook's entry.0.changes.0.value.statuses.0.timestamp (${ARRIVAL_S + 61}) lies beyond its arrival; nothing was stored.`,
    );
  });

  it('refuses a whole delivery naming a business number the API does not know, saying which', () => {
    const unknown = { displayPhoneNumber: '15550000000', phoneNumberId: '999999999999' };
    expect(refusal(together(userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, BANK), userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, unknown)))).toMatchObject({
      code: 'invalid_request',
      message: 'The webhook names a business number this API does not know (entry.1.changes.0.value.metadata: 999999999999); nothing was stored.',
    });
    const byDisplay = userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, unknown);
    delete (byDisplay.entry[0]!.changes[0]!.value.metadata as { phone_number_id?: string }).phone_number_id;
    expect(refusal(byDisplay).message).toBe('The webhook names a business number this API does not know (entry.0.changes.0.value.metadata: 15550000000); nothing was stored.');
    const without = userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, BANK);
    delete (without.entry[0]!.changes[0]!.value as { metadata?: unknown }).metadata;
    expect(refusal(without).message).toBe('The webhook names a business number this API does not know (entry.0.changes.0.value.metadata: none); nothing was stored.');
  });

  it('takes a send that failed with 131050 as a stop, for a number or a user id, and ignores other failures', () => {
    const payload = together(failedSendWebhook({ phone: PHONE }, 131050, ARRIVAL_S - 5, BANK), failedSendWebhook({ userId: USER_ID }, 131050, ARRIVAL_S - 4, AIRLINE), failedSendWebhook({ phone: PHONE }, 131026, ARRIVAL_S, BANK));
    expect(changes(payload)).toEqual({
      changes: [
        { businessId: TEST_BUSINESSES[0]!.id, user: { phone: PHONE, userId: null }, value: 'stop', claimedMs: ARRIVAL - 5_000, atMs: ARRIVAL - 5_000, source: 'error_131050' },
        { businessId: TEST_BUSINESSES[1]!.id, user: { phone: null, userId: USER_ID }, value: 'stop', claimedMs: ARRIVAL - 4_000, atMs: ARRIVAL - 4_000, source: 'error_131050' },
      ],
      mappings: [],
    });
    const both = failedSendWebhook({ phone: PHONE, userId: USER_ID }, 131050, ARRIVAL_S, BANK);
    expect(changes(both).mappings).toEqual([{ businessId: TEST_BUSINESSES[0]!.id, userId: USER_ID, phone: PHONE }]);
  });

  it('refuses a 131050 failure it cannot read rather than skipping the stop', () => {
    const payload = failedSendWebhook({ phone: PHONE }, 131050, ARRIVAL_S, BANK);
    const status = payload.entry[0]!.changes[0]!.value.statuses[0]! as Record<string, unknown>;
    delete status.recipient_id;
    expect(refusal(payload)).toMatchObject({
      code: 'invalid_request',
      message: 'Invalid WhatsApp webhook: entry.0.changes.0.value.statuses.0.recipient_id: names no recipient: neither recipient_id nor recipient_user_id',
    });
  });

  it('refuses a marketing preference it cannot read, naming the field', () => {
    const payload = userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, BANK);
    (payload.entry[0]!.changes[0]!.value.user_preferences[0]! as Record<string, unknown>).value = 'pause';
    expect(refusal(payload).message).toMatch(/^Invalid WhatsApp webhook: entry\.0\.changes\.0\.value\.user_preferences\.0\.value: /);
  });

  it('maps a user id from an incoming message’s contact, with the business it came through, changing no preference', () => {
    expect(changes(incomingMessageWebhook({ phone: PHONE, userId: USER_ID }, ARRIVAL_S, AIRLINE))).toEqual({
      changes: [],
      mappings: [{ businessId: TEST_BUSINESSES[1]!.id, userId: USER_ID, phone: PHONE }],
    });
  });

  it('ignores what is not about marketing preferences, even from a number it does not know', () => {
    const unknown = { displayPhoneNumber: '15550000000', phoneNumberId: '999999999999' };
    const other = userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, unknown);
    const value = other.entry[0]!.changes[0]!.value as Record<string, unknown>;
    delete value.contacts;
    (value.user_preferences as Record<string, unknown>[])[0]!.category = 'service_messages';
    (value.user_preferences as unknown[]).push(null);
    value.statuses = [{ status: 'failed', recipient_id: PHONE.slice(1), timestamp: String(ARRIVAL_S), errors: 'none' }, null];
    expect(changes(other)).toEqual({ changes: [], mappings: [] });
  });

  it('reads a stop from a preference and a failed send in one change, and a failure among other errors', () => {
    const payload = userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, BANK);
    const value = payload.entry[0]!.changes[0]!.value as Record<string, unknown>;
    delete value.contacts;
    value.statuses = [{ status: 'failed', recipient_id: '819087654321', timestamp: String(ARRIVAL_S), errors: [{ code: 131026 }, { code: 131050 }] }];
    expect(changes(payload).changes.map(({ user, source }) => [user.phone, source])).toEqual([
      [PHONE, 'user_preferences'],
      ['+819087654321', 'error_131050'],
    ]);
    // an unreadable error beside a 131050 is refused with a reason, not a crash
    (value.statuses as { errors: unknown[] }[])[0]!.errors.unshift(null);
    expect(refusal(payload).message).toBe('Invalid WhatsApp webhook: entry.0.changes.0.value.statuses.0.errors.0: Invalid input: expected object, received null');
  });

  it('names the field of an item it cannot read, however deep, and the item itself when it is not an object', () => {
    const failed = failedSendWebhook({ phone: PHONE }, 131050, ARRIVAL_S, BANK);
    (failed.entry[0]!.changes[0]!.value.statuses[0]!.errors as unknown[]).push({ code: 'later' });
    expect(refusal(failed).message).toMatch(/^Invalid WhatsApp webhook: entry\.0\.changes\.0\.value\.statuses\.0\.errors\.1\.code: /);
    const contact = userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, BANK);
    (contact.entry[0]!.changes[0]!.value.contacts as unknown[]).push('+81 90');
    expect(refusal(contact).message).toMatch(/^Invalid WhatsApp webhook: entry\.0\.changes\.0\.value\.contacts\.1\.\(item\): /);
    const number = userPreferencesWebhook(PHONE, 'stop', ARRIVAL_S, BANK);
    (number.entry[0]!.changes[0]!.value.contacts[0] as Record<string, unknown>).wa_id = 'not a number';
    expect(refusal(number).message).toMatch(/^Invalid WhatsApp webhook: entry\.0\.changes\.0\.value\.contacts\.0\.wa_id: /);
  });
});
