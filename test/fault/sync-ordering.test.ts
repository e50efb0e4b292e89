import { userPreferencesWebhook } from '../fixtures/whatsapp-webhooks.ts';
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningServer } from '../../server/start-server.ts';
import type { SyncWorker } from '../../electron/sync/sync-worker.ts';
import { consentCheck, fastWorker, startApi, subjectState, tempDir, WEBHOOK_APP_SECRET } from './fixtures/sync-harness.ts';
import { expectServerHoldsExactlyWhatWasCaptured } from './fixtures/sync-invariant.ts';
import { atmTerms, consentDraft, openTestKiosk, type TestKiosk } from './fixtures/sync-kiosk.ts';
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

/**
 * A kiosk as a technician leaves it: enrolled, its first clock observation made and synced, its wall clock
 * `offsetMs()` off. `sync()` runs a worker to the end (observing again whenever events wait, so a test need not wait
 * ten minutes for the next observation).
 */
async function enrolledKiosk(api: RunningServer, name: string, offsetMs: () => number = () => 0) {
  const dir = tempDir(`sync-kiosk-${name}`);
  const clock = skewedClock(offsetMs);
  const kiosk: TestKiosk = openTestKiosk(dir, clock);
  cleanups.push(() => kiosk.close());
  const token = await api.store.devices.createToken();
  const sync = () =>
    syncToEnd(fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir: dir, enrolmentToken: token, now: () => clock.now().getTime(), observationIntervalMs: 0 }));
  await sync();
  return { dir, kiosk, sync };
}

describe('consent state across kiosks that sync late', () => {
  it.each([
    ['its clock right', 0],
    ['its clock an hour fast', 3_600_000],
  ])('keeps an opt-out when an older offline opt-in from another kiosk (%s) syncs later', async (_label, skewMs) => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    const a = await enrolledKiosk(api, 'a', () => skewMs);
    const b = await enrolledKiosk(api, 'b');

    a.kiosk.ledger.capture(consentDraft(PHONE, 'opt_in', ['offers']), atmTerms);
    await pause(200);
    b.kiosk.ledger.capture(consentDraft(PHONE, 'opt_out', ['offers']), atmTerms);

    await b.sync();
    expect(await consentCheck(api, PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
    await a.sync();
    expect(await consentCheck(api, PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
    // placed by the monotonic clock after the observation of its own boot, not by the wall clock it claimed
    const { decisions } = await subjectState(api, PHONE);
    expect(decisions.map(({ kind, timeQuality }) => [kind, timeQuality])).toEqual([
      ['opt_in', 'bounded'],
      ['opt_out', 'bounded'],
    ]);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [a.dir, b.dir]);
  });

  it('keeps marketing stopped by a WhatsApp STOP when a kiosk opt-in captured earlier syncs afterwards', async () => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    const { dir, kiosk, sync } = await enrolledKiosk(api, 'atm');

    kiosk.ledger.capture(consentDraft(PHONE, 'opt_in', ['offers']), atmTerms);
    // WhatsApp stamps preferences in whole seconds: let the STOP fall clearly after the capture
    await pause(1_100);
    // through Sakura Bank's WhatsApp number (the API knows its phone-number id: sync-harness.ts)
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

    await sync();
    expect(await consentCheck(api, PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [dir]);
  });
});
