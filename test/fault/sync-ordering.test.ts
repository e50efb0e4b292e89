import { userPreferencesWebhook } from '../fixtures/whatsapp-webhooks.ts';
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LedgerClock } from '../../electron/ledger/clock.ts';
import type { SyncWorker } from '../../electron/sync/sync-worker.ts';
import { consentCheck, fastWorker, startApi, tempDir, WEBHOOK_APP_SECRET } from './fixtures/sync-harness.ts';
import { expectServerHoldsExactlyWhatWasCaptured } from './fixtures/sync-invariant.ts';
import { atmTerms, consentDraft, openTestKiosk } from './fixtures/sync-kiosk.ts';
import { skewedClock } from '../unit/ledger/fixtures.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const PHONE = '+819055550001';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function syncToEnd(worker: SyncWorker): Promise<void> {
  worker.start();
  await vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout: 10_000, interval: 20 });
  await worker.stop();
}

describe('consent state across kiosks that sync late', () => {
  it.each([
    ['its clock right', 0],
    ['its clock an hour fast', 3_600_000],
  ])('keeps an opt-out when an older offline opt-in from another kiosk (%s) syncs later', async (_label, skewMs) => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    const clockA: LedgerClock = skewedClock(() => skewMs);
    const dirA = tempDir('sync-kiosk-a');
    const dirB = tempDir('sync-kiosk-b');
    const a = openTestKiosk(dirA, clockA);
    const b = openTestKiosk(dirB);
    cleanups.push(() => a.close(), () => b.close());

    a.ledger.capture(consentDraft(PHONE, 'opt_in', ['offers']), atmTerms);
    await pause(200);
    b.ledger.capture(consentDraft(PHONE, 'opt_out', ['offers']), atmTerms);

    await syncToEnd(fastWorker(b.ledger, { apiUrl: api.url, dataDir: dirB, enrolmentToken: api.store.devices.createToken() }));
    expect(await consentCheck(api, PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });

    const workerA = fastWorker(a.ledger, {
      apiUrl: api.url,
      dataDir: dirA,
      enrolmentToken: api.store.devices.createToken(),
      now: () => clockA.now().getTime(),
    });
    await syncToEnd(workerA);
    expect(await consentCheck(api, PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
    expectServerHoldsExactlyWhatWasCaptured(api.store.db, [dirA, dirB]);
  });

  it('keeps marketing stopped by a WhatsApp STOP when a kiosk opt-in captured earlier syncs afterwards', async () => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    const dir = tempDir('sync-kiosk');
    const kiosk = openTestKiosk(dir);
    cleanups.push(() => kiosk.close());

    kiosk.ledger.capture(consentDraft(PHONE, 'opt_in', ['offers']), atmTerms);
    // WhatsApp stamps preferences in whole seconds: let the STOP fall clearly after the capture
    await pause(1_100);
    const payload = Buffer.from(JSON.stringify(userPreferencesWebhook(PHONE, 'stop', Math.floor(Date.now() / 1_000))));
    const webhook = await fetch(`${api.url}/v1/webhooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_APP_SECRET).update(payload).digest('hex')}`,
      },
      body: payload,
    });
    expect(webhook.status).toBe(200);
    expect(await consentCheck(api, PHONE, 'offers')).toMatchObject({ allowed: false });

    await syncToEnd(fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir: dir, enrolmentToken: api.store.devices.createToken() }));
    expect(await consentCheck(api, PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
    expectServerHoldsExactlyWhatWasCaptured(api.store.db, [dir]);
  });
});
