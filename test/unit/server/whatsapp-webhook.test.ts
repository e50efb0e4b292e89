import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { ConsentCheckResponse } from '../../../shared/contract/sync.ts';
import { userPreferencesWebhook } from '../../fixtures/whatsapp-webhooks.ts';
import { TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, WEBHOOK_APP_SECRET, WEBHOOK_VERIFY_TOKEN, startTestServer, type TestServer } from './test-server.ts';

// WhatsApp's servers cannot be reached here: these payloads follow the Cloud API webhook reference
// (user_preferences and statuses), signed with the app secret as Meta signs them.
const PHONE = '+819012345678';
const WA_ID = PHONE.slice(1);
const OFFERS = { id: 'offers', category: 'marketing' } as const;
const seconds = (iso: string) => Date.parse(iso) / 1000;

const preferenceWebhook = (value: 'stop' | 'resume', iso: string) => userPreferencesWebhook(PHONE, value, seconds(iso));

const failedSendWebhook = (code: number, iso: string) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
            statuses: [
              {
                id: 'wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA',
                status: 'failed',
                timestamp: String(seconds(iso)),
                recipient_id: WA_ID,
                errors: [{ code, title: 'User has stopped marketing messages', message: 'User has stopped marketing messages' }],
              },
            ],
          },
        },
      ],
    },
  ],
});

let api: TestServer;
beforeEach(async () => {
  api = await startTestServer();
});
afterEach(() => api.stop());

function deliver(payload: unknown, secret = WEBHOOK_APP_SECRET, rawOverride?: string): Promise<Response> {
  const raw = rawOverride ?? JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
  return fetch(`${api.server.url}/v1/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: raw });
}

async function checkOffers(): Promise<ConsentCheckResponse> {
  return ConsentCheckResponse.parse(await (await api.post('/v1/consent/check', { phone: PHONE, purposeId: 'offers' }, ADMIN_TOKEN)).json());
}

async function optInToOffersAt(iso: string): Promise<void> {
  const kiosk = new TestKiosk();
  await api.ingest(await api.enrol(kiosk), [kiosk.event({ kind: 'opt_in', purpose: OFFERS, capturedAt: new Date(iso) })]);
}

describe('WhatsApp webhooks', () => {
  it('echoes the challenge for the right verify token and refuses a wrong one', async () => {
    const url = (token: string) => `${api.server.url}/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`;
    const ok = await fetch(url(WEBHOOK_VERIFY_TOKEN));
    expect([ok.status, await ok.text()]).toEqual([200, '1158201444']);
    expect((await fetch(url('wrong-token'))).status).toBe(403);
  });

  it('keeps marketing stopped when an earlier-captured kiosk opt-in syncs after the stop', async () => {
    expect((await deliver(preferenceWebhook('stop', '2026-03-01T12:00:00.000Z'))).status).toBe(200);
    await optInToOffersAt('2026-03-01T09:00:00.000Z');
    expect(await checkOffers()).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: '2026-03-01T12:00:00.000Z' });
  });

  it('stops every marketing purpose but leaves utility alerts alone', async () => {
    const kiosk = new TestKiosk();
    await api.ingest(await api.enrol(kiosk), [
      kiosk.event({ kind: 'opt_in', capturedAt: new Date('2026-03-01T09:00:00.000Z') }),
      kiosk.event({ kind: 'opt_in', purpose: OFFERS, capturedAt: new Date('2026-03-01T09:00:01.000Z') }),
    ]);
    await deliver(preferenceWebhook('stop', '2026-03-01T12:00:00.000Z'));
    expect(await checkOffers()).toMatchObject({ allowed: false });
    const utility = await api.post('/v1/consent/check', { phone: PHONE, purposeId: 'balance-alerts' }, ADMIN_TOKEN);
    expect(await utility.json()).toMatchObject({ allowed: true });
  });

  it('resumes a kiosk opt-in after a stop, but a resume alone grants nothing', async () => {
    await deliver(preferenceWebhook('resume', '2026-03-01T08:00:00.000Z'));
    expect(await checkOffers()).toMatchObject({ state: 'unknown', allowed: false });
    await optInToOffersAt('2026-03-01T09:00:00.000Z');
    await deliver(preferenceWebhook('stop', '2026-03-01T10:00:00.000Z'));
    await deliver(preferenceWebhook('resume', '2026-03-01T11:00:00.000Z'));
    expect(await checkOffers()).toMatchObject({ allowed: true, state: 'opted_in', effectiveAt: '2026-03-01T11:00:00.000Z' });
  });

  it('records a send that failed with 131050 as a marketing opt-out', async () => {
    await optInToOffersAt('2026-03-01T09:00:00.000Z');
    expect(await (await deliver(failedSendWebhook(131050, '2026-03-01T10:00:00.000Z'))).json()).toEqual({ recorded: 1 });
    expect(await checkOffers()).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it('ignores failures with other error codes', async () => {
    await optInToOffersAt('2026-03-01T09:00:00.000Z');
    expect(await (await deliver(failedSendWebhook(131026, '2026-03-01T10:00:00.000Z'))).json()).toEqual({ recorded: 0 });
    expect(await checkOffers()).toMatchObject({ allowed: true });
  });

  it('refuses a delivery with a bad signature and records nothing', async () => {
    await optInToOffersAt('2026-03-01T09:00:00.000Z');
    const forged = await deliver(preferenceWebhook('stop', '2026-03-01T12:00:00.000Z'), 'not-the-app-secret');
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ code: 'unauthorized' });
    const unsigned = await fetch(`${api.server.url}/v1/webhooks/whatsapp`, { method: 'POST', body: JSON.stringify(preferenceWebhook('stop', '2026-03-01T12:00:00.000Z')) });
    expect(unsigned.status).toBe(401);
    expect(await checkOffers()).toMatchObject({ allowed: true });
  });

  it('checks the signature over the raw bytes, not re-serialised JSON', async () => {
    const raw = JSON.stringify(preferenceWebhook('stop', '2026-03-01T12:00:00.000Z'), null, 2);
    expect((await deliver(undefined, WEBHOOK_APP_SECRET, raw)).status).toBe(200);
  });

  it('counts a redelivered webhook once and answers 400 for a signed body that is not a webhook', async () => {
    await deliver(preferenceWebhook('stop', '2026-03-01T12:00:00.000Z'));
    await deliver(preferenceWebhook('stop', '2026-03-01T12:00:00.000Z'));
    const state = await api.post('/v1/subjects/state', { phone: PHONE }, ADMIN_TOKEN);
    expect(((await state.json()) as { decisions: unknown[] }).decisions).toHaveLength(1);
    expect((await deliver({ hello: 'world' })).status).toBe(400);
  });
});
