import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { KioskError } from '../../../shared/contract/errors.ts';
import { SubjectStateResponse } from '../../../shared/contract/sync.ts';
import {
  failedSendWebhook,
  incomingMessageWebhook,
  userPreferencesWebhook,
  type WebhookBusiness,
} from '../../fixtures/whatsapp-webhooks.ts';
import type { AuditRecord } from '../../../server/store/audit-export.ts';
import { SORA_AIRLINES, TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, TEST_BUSINESSES, WEBHOOK_APP_SECRET, WEBHOOK_VERIFY_TOKEN, startTestServer, type TestServer } from './test-server.ts';

// WhatsApp's servers cannot be reached here: the payloads (test/fixtures/whatsapp-webhooks.ts) follow the Cloud API
// webhook reference, signed with the app secret as Meta signs them.
const PHONE = '+819012345678';
const USER_ID = 'JP.13491208655302741918';
const OFFERS = { id: 'offers', category: 'marketing' } as const;
const BANK: WebhookBusiness = { displayPhoneNumber: '81312345678', phoneNumberId: TEST_BUSINESSES[0]!.whatsappPhoneNumberId };
const AIRLINE: WebhookBusiness = { displayPhoneNumber: '81362345678', phoneNumberId: TEST_BUSINESSES[1]!.whatsappPhoneNumberId };
const HOUR = 3_600_000;

let clock: TestClock;
let api: TestServer;
let kiosk: TestKiosk;
let credential: string;
beforeEach(async () => {
  clock = new TestClock(Date.parse('2026-03-01T08:00:00.000Z'));
  api = await startTestServer({ now: clock.date });
  kiosk = new TestKiosk({ clock });
  credential = await api.enrol(kiosk);
  // as every kiosk does when it syncs: its later events are placed by their monotonic clock (bounded)
  await api.ingest(credential, [await kiosk.observe(api.server.url, credential)]);
});
afterEach(() => api.stop());

const seconds = () => Math.floor(clock.nowMs / 1000);

function deliver(payload: unknown, secret = WEBHOOK_APP_SECRET, rawOverride?: string): Promise<Response> {
  const raw = rawOverride ?? JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
  return fetch(`${api.server.url}/v1/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: raw });
}

async function delivered(payload: unknown): Promise<{ recorded: number; pending: number; applied: number }> {
  const response = await deliver(payload);
  expect(response.status).toBe(200);
  return (await response.json()) as { recorded: number; pending: number; applied: number };
}

const preference = (value: 'stop' | 'resume', business = BANK) => userPreferencesWebhook(PHONE, value, seconds(), business);

async function optIn(purpose: { id: string; category: 'utility' | 'marketing' } = OFFERS, business = kiosk): Promise<void> {
  await api.ingest(credential, [business.event({ kind: 'opt_in', purpose })]);
}

const checkOffers = (businessId?: string) => api.check(PHONE, 'offers', businessId);

async function auditOf(businessId = 'sakura-bank'): Promise<AuditRecord[]> {
  const response = await api.get(`/v1/admin/audit?businessId=${businessId}&phone=${encodeURIComponent(PHONE)}`, ADMIN_TOKEN);
  expect(response.status).toBe(200);
  return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);
}

describe('WhatsApp webhooks', () => {
  it('echoes the challenge for the right verify token and refuses a wrong one', async () => {
    const url = (token: string) => `${api.server.url}/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`;
    const ok = await fetch(url(WEBHOOK_VERIFY_TOKEN));
    expect([ok.status, await ok.text()]).toEqual([200, '1158201444']);
    expect((await fetch(url('wrong-token'))).status).toBe(403);
  });

  it('keeps marketing stopped when an earlier-captured kiosk opt-in syncs after the stop', async () => {
    const captured = kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    clock.advance(3 * HOUR);
    expect(await delivered(preference('stop'))).toMatchObject({ recorded: 1 });
    await api.ingest(credential, [captured]);
    expect(await checkOffers()).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: '2026-03-01T11:00:00.000Z' });
  });

  it('stops every marketing purpose but leaves utility alerts alone', async () => {
    await optIn({ id: 'balance-alerts', category: 'utility' });
    await optIn();
    clock.advance(HOUR);
    await delivered(preference('stop'));
    expect(await checkOffers()).toMatchObject({ allowed: false });
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ allowed: true });
  });

  it('resumes a kiosk opt-in after a stop, but a resume alone grants nothing', async () => {
    await delivered(preference('resume'));
    expect(await checkOffers()).toMatchObject({ state: 'unknown', allowed: false });
    clock.advance(HOUR);
    await optIn();
    clock.advance(HOUR);
    await delivered(preference('stop'));
    clock.advance(HOUR);
    await delivered(preference('resume'));
    expect(await checkOffers()).toMatchObject({ allowed: true, state: 'opted_in', effectiveAt: '2026-03-01T11:00:00.000Z', timeQuality: 'bounded' });
  });

  it('keeps a kiosk opt-out when WhatsApp later reports a resume', async () => {
    await optIn();
    clock.advance(HOUR);
    await api.ingest(credential, [kiosk.event({ kind: 'opt_out', purpose: OFFERS })]);
    clock.advance(HOUR);
    await delivered(preference('resume'));
    expect(await checkOffers()).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it('allows marketing again when the person opts in at a kiosk after a WhatsApp stop', async () => {
    await optIn();
    clock.advance(HOUR);
    await delivered(preference('stop'));
    clock.advance(HOUR);
    await optIn();
    expect(await checkOffers()).toMatchObject({ allowed: true, state: 'opted_in', effectiveAt: '2026-03-01T10:00:00.000Z' });
  });

  it('keeps marketing stopped when a STOP and a RESUME arrive stamped with the same second, in either order', async () => {
    await optIn();
    clock.advance(HOUR);
    await delivered(preference('resume'));
    await delivered(preference('stop'));
    expect(await checkOffers()).toMatchObject({ allowed: false, state: 'opted_out' });
    clock.advance(HOUR);
    await delivered(preference('resume'));
    clock.advance(1);
    const second = seconds();
    await delivered(userPreferencesWebhook(PHONE, 'stop', second, BANK));
    await delivered(userPreferencesWebhook(PHONE, 'resume', second, BANK));
    expect(await checkOffers()).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it('records a send that failed with 131050 as a marketing opt-out, and ignores other failures', async () => {
    await optIn();
    clock.advance(HOUR);
    expect(await delivered(failedSendWebhook({ phone: PHONE }, 131026, seconds(), BANK))).toMatchObject({ recorded: 0 });
    expect(await checkOffers()).toMatchObject({ allowed: true });
    expect(await delivered(failedSendWebhook({ phone: PHONE }, 131050, seconds(), BANK))).toMatchObject({ recorded: 1 });
    expect(await checkOffers()).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it("applies a STOP through the bank's number to the bank only, never to the airline", async () => {
    await optIn();
    const airlineKiosk = new TestKiosk({ clock });
    const airlineCredential = await api.enrol(airlineKiosk);
    await api.ingest(airlineCredential, [await airlineKiosk.observe(api.server.url, airlineCredential)]);
    await api.ingest(airlineCredential, [airlineKiosk.event({ kind: 'opt_in', purpose: OFFERS, business: SORA_AIRLINES })]);
    clock.advance(HOUR);
    await delivered(preference('stop', BANK));
    expect(await checkOffers('sakura-bank')).toMatchObject({ allowed: false, state: 'opted_out' });
    expect(await checkOffers('sora-airlines')).toMatchObject({ allowed: true, state: 'opted_in' });
  });

  it('finds the business by its display number when the webhook names no phone-number id it knows', async () => {
    await optIn();
    clock.advance(HOUR);
    const payload = preference('stop', { displayPhoneNumber: '+81 3-1234-5678', phoneNumberId: '999' });
    delete (payload.entry[0]!.changes[0]!.value.metadata as { phone_number_id?: string }).phone_number_id;
    await delivered(payload);
    expect(await checkOffers()).toMatchObject({ allowed: false });
  });

  it('refuses a webhook through a business number the API does not know, and stores nothing', async () => {
    await optIn();
    clock.advance(HOUR);
    const response = await deliver(preference('stop', { displayPhoneNumber: '15550783881', phoneNumberId: '106540352249999' }));
    expect(response.status).toBe(400);
    expect(KioskError.parse(await response.json()).message).toMatch(/business number this API does not know/);
    expect(await checkOffers()).toMatchObject({ allowed: true });
    expect((await auditOf()).filter((r) => r.record !== 'chain_event')).toEqual([]);
  });

  it('refuses a signed webhook whose timestamp is out of range with 400, storing nothing, and keeps answering', async () => {
    await optIn();
    clock.advance(HOUR);
    for (const timestamp of [9_007_199_254_740, seconds() + 86_400]) {
      const response = await deliver(userPreferencesWebhook(PHONE, 'stop', timestamp, BANK));
      expect(response.status).toBe(400);
      expect(KioskError.parse(await response.json()).code).toBe('invalid_request');
    }
    expect(await checkOffers()).toMatchObject({ allowed: true, state: 'opted_in' });
    const state = await api.post('/v1/subjects/state', { businessId: 'sakura-bank', phone: PHONE }, ADMIN_TOKEN);
    expect(state.status).toBe(200);
    expect(SubjectStateResponse.parse(await state.json()).decisions.map((d) => d.source)).toEqual(['kiosk']);
  });

  it('keeps a change stamped a little after its arrival (within the tolerance) at its arrival', async () => {
    await optIn();
    clock.advance(HOUR);
    await delivered(userPreferencesWebhook(PHONE, 'stop', seconds() + 30, BANK));
    expect(await checkOffers()).toMatchObject({ allowed: false, effectiveAt: new Date(clock.nowMs).toISOString() });
  });

  it('stores a STOP that names only a business-scoped user id, and applies it as soon as a payload maps the id to the number', async () => {
    await optIn();
    clock.advance(HOUR);
    const stopAt = new Date(clock.nowMs).toISOString();
    expect(await delivered(userPreferencesWebhook({ userId: USER_ID }, 'stop', seconds(), BANK))).toEqual({ recorded: 0, pending: 1, applied: 0 });
    expect(await checkOffers()).toMatchObject({ allowed: true });
    expect((await auditOf()).filter((r) => r.record === 'pending_whatsapp_change')).toEqual([
      expect.objectContaining({ value: 'stop', effectiveAt: stopAt, delivery: expect.objectContaining({ signatureVerified: true }) }),
    ]);

    clock.advance(HOUR);
    expect(await delivered(incomingMessageWebhook({ phone: PHONE, userId: USER_ID }, seconds(), BANK))).toEqual({ recorded: 0, pending: 0, applied: 1 });
    expect(await checkOffers()).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: stopAt });
    const audit = await auditOf();
    expect(audit.filter((r) => r.record === 'pending_whatsapp_change')).toEqual([]);
    expect(audit.filter((r) => r.record === 'whatsapp_change')).toEqual([expect.objectContaining({ value: 'stop', mappedAt: new Date(clock.nowMs).toISOString() })]);
  });

  it('applies a user-id-only STOP at once when an earlier payload carried both ids, but never to another business', async () => {
    await optIn();
    await delivered(userPreferencesWebhook({ phone: PHONE, userId: USER_ID }, 'resume', seconds(), BANK));
    clock.advance(HOUR);
    expect(await delivered(userPreferencesWebhook({ userId: USER_ID }, 'stop', seconds(), AIRLINE))).toMatchObject({ pending: 1 });
    expect(await checkOffers()).toMatchObject({ allowed: true });
    expect(await delivered(failedSendWebhook({ userId: USER_ID }, 131050, seconds(), BANK))).toMatchObject({ recorded: 1, pending: 0 });
    expect(await checkOffers()).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it('refuses a user_preferences item it cannot read rather than dropping it', async () => {
    const payload = userPreferencesWebhook(PHONE, 'stop', seconds(), BANK);
    delete (payload.entry[0]!.changes[0]!.value.user_preferences[0] as { wa_id?: string }).wa_id;
    const response = await deliver(payload);
    expect(response.status).toBe(400);
    expect(KioskError.parse(await response.json()).message).toMatch(/names no user/);
  });

  it('refuses a delivery with a bad signature and records nothing', async () => {
    await optIn();
    clock.advance(HOUR);
    const forged = await deliver(preference('stop'), 'not-the-app-secret');
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ code: 'unauthorized' });
    const unsigned = await fetch(`${api.server.url}/v1/webhooks/whatsapp`, { method: 'POST', body: JSON.stringify(preference('stop')) });
    expect(unsigned.status).toBe(401);
    expect(await checkOffers()).toMatchObject({ allowed: true });
  });

  it('checks the signature over the raw bytes, and keeps those bytes for the audit', async () => {
    const raw = JSON.stringify(preference('stop'), null, 2);
    expect((await deliver(undefined, WEBHOOK_APP_SECRET, raw)).status).toBe(200);
    const [change] = (await auditOf()).filter((r) => r.record === 'whatsapp_change');
    expect(change).toMatchObject({
      value: 'stop',
      receivedAt: new Date(clock.nowMs).toISOString(),
      delivery: { payload: raw, signatureVerified: true, signature: `sha256=${createHmac('sha256', WEBHOOK_APP_SECRET).update(raw).digest('hex')}` },
    });
  });

  it('counts a redelivered webhook once and answers 400 for a signed body that is not a webhook', async () => {
    await delivered(preference('stop'));
    expect(await delivered(preference('stop'))).toMatchObject({ recorded: 0 });
    const state = await api.post('/v1/subjects/state', { businessId: 'sakura-bank', phone: PHONE }, ADMIN_TOKEN);
    expect(SubjectStateResponse.parse(await state.json()).decisions).toHaveLength(1);
    expect((await deliver({ hello: 'world' })).status).toBe(400);
  });

  it('keeps no delivery that changes nothing (an ordinary message or read receipt may hold what people wrote)', async () => {
    const payload = incomingMessageWebhook({ phone: PHONE, userId: USER_ID }, seconds(), BANK);
    delete (payload.entry[0]!.changes[0]!.value.contacts[0] as { user_id?: string }).user_id;
    expect(await delivered(payload)).toEqual({ recorded: 0, pending: 0, applied: 0 });
    expect(await api.server.store.db.value('SELECT COUNT(*) FROM whatsapp_deliveries')).toBe(0);
  });

  it('never logs the number it records a change for', async () => {
    await delivered(preference('stop'));
    expect(api.logs.join('\n')).not.toContain(PHONE.slice(1, 8));
    expect(api.logs.join('\n')).toContain('whatsapp marketing stop');
  });
});
