import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningServer } from '../../server/start-server.ts';
import { CREDENTIAL_FILE, REFUSED_CREDENTIAL_FILE } from '../../electron/sync/enrolment.ts';
import type { SyncWorker } from '../../electron/sync/sync-worker.ts';
import { startFaultProxy, type Fault, type FaultProxy } from './fixtures/sync-fault-proxy.ts';
import { fastWorker, startApi, tempDir } from './fixtures/sync-harness.ts';
import { expectServerHoldsExactlyWhatWasCaptured } from './fixtures/sync-invariant.ts';
import { consentDraft, atmTerms, openTestKiosk, readKioskLedger, type TestKiosk } from './fixtures/sync-kiosk.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

type Setup = { api: RunningServer; kiosk: TestKiosk; kioskDir: string; apiDir: string; token: string };

async function setup(): Promise<Setup> {
  const apiDir = tempDir('sync-api');
  const kioskDir = tempDir('sync-kiosk');
  const api = await startApi(apiDir);
  cleanups.push(() => api.close().catch(() => undefined));
  const kiosk = openTestKiosk(kioskDir);
  cleanups.push(() => kiosk.close());
  return { api, kiosk, kioskDir, apiDir, token: await api.store.devices.createToken() };
}

function capture(kiosk: TestKiosk, count: number, from = 0): void {
  for (let i = from; i < from + count; i++) {
    kiosk.ledger.capture(consentDraft(`+8190${12_340_000 + i}`, 'opt_in', ['balance_alerts']), atmTerms);
  }
}

function run(worker: SyncWorker): SyncWorker {
  cleanups.push(() => worker.stop());
  worker.start();
  return worker;
}

async function drained(worker: SyncWorker, timeout = 15_000): Promise<void> {
  await vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout, interval: 20 });
}

/** What an administrator hands a technician to enrol this very device again (a plain token cannot rebind it). */
const reEnrolmentToken = (api: RunningServer, kiosk: TestKiosk) => api.store.devices.createToken({ forDeviceId: kiosk.ledger.deviceId });

/**
 * The API stops accepting the stored credential (an administrator enrolled the device again elsewhere, which
 * replaces it); three more consents are captured, and the worker, woken, finds itself needing enrolment.
 */
async function revokeAndCapture(api: RunningServer, kiosk: TestKiosk, worker: SyncWorker): Promise<void> {
  const { deviceId, keyId, publicKey } = kiosk.ledger;
  expect(await api.store.devices.enrol({ token: await reEnrolmentToken(api, kiosk), deviceId, keyId, publicKey, appVersion: '0.1.0-test' })).toMatchObject({
    ok: true,
  });
  capture(kiosk, 3, 2);
  worker.wake('capture');
  await vi.waitFor(() => expect(worker.status().state).toBe('needs_enrolment'), { timeout: 5_000, interval: 20 });
}

async function captureAndDrain(kiosk: TestKiosk, worker: SyncWorker, count: number): Promise<void> {
  capture(kiosk, count);
  worker.wake('capture');
  await drained(worker);
}

async function proxied(api: RunningServer, ingestFaults: Fault[], rewrite?: (path: string, body: Buffer) => Buffer) {
  let ingests = 0;
  const proxy: FaultProxy = await startFaultProxy({
    upstream: api.url,
    plan: ({ path }) => (path === '/v1/ingest' ? (ingestFaults[ingests++] ?? { kind: 'pass' }) : { kind: 'pass' }),
    ...(rewrite ? { rewrite } : {}),
  });
  cleanups.push(() => proxy.close());
  return proxy;
}

const batchIds = (body: Buffer) =>
  (JSON.parse(body.toString('utf8')) as { events: Array<{ event: { id: string } }> }).events.map((item) => item.event.id);

const ingestRequests = (proxy: FaultProxy) => proxy.requests.filter((request) => request.path === '/v1/ingest');

describe('sync under faults', () => {
  it('delivers everything once after the API was down for a while, and shows it was offline meanwhile', async () => {
    const { api, kiosk, kioskDir, apiDir, token } = await setup();
    const worker = run(fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir: kioskDir, enrolmentToken: token }));
    await captureAndDrain(kiosk, worker, 5);

    await api.close();
    capture(kiosk, 20, 5);
    worker.wake('capture');
    await vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'offline', pending: 20 }), { timeout: 5_000, interval: 20 });
    expect(worker.status().lastError).toMatch(/could not be reached/);

    const again = await startApi(apiDir, api.port);
    cleanups.push(() => again.close());
    await drained(worker);
    expect(worker.status()).toMatchObject({ lastError: null });
    await expectServerHoldsExactlyWhatWasCaptured(again.store, [kioskDir]);
  });

  it('keeps one copy when the API commits a batch and the connection drops before the answer', async () => {
    const { api, kiosk, kioskDir, token } = await setup();
    const proxy = await proxied(api, [{ kind: 'drop_after_commit' }, { kind: 'drop_after_commit' }]);
    capture(kiosk, 25);
    const worker = run(fastWorker(kiosk.ledger, { apiUrl: proxy.url, dataDir: kioskDir, enrolmentToken: token, batchSize: 10 }));
    await drained(worker);

    const sent = ingestRequests(proxy);
    expect(sent.map((request) => request.fault).slice(0, 3)).toEqual(['drop_after_commit', 'drop_after_commit', 'pass']);
    expect(batchIds(sent[2]!.body), 'the same batch is sent again').toEqual(batchIds(sent[0]!.body));
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [kioskDir]);
  });

  it('rides out 500s and answers slower than its timeout, and waits as long as a 503 Retry-After asks', async () => {
    const { api, kiosk, kioskDir, token } = await setup();
    const proxy = await proxied(api, [
      { kind: 'status', status: 500 },
      { kind: 'delay', ms: 900 },
      { kind: 'status', status: 503, retryAfter: '1' },
    ]);
    capture(kiosk, 12);
    const worker = run(
      fastWorker(kiosk.ledger, { apiUrl: proxy.url, dataDir: kioskDir, enrolmentToken: token, batchSize: 5, timeoutMs: 400 }),
    );
    await drained(worker);

    const sent = ingestRequests(proxy);
    expect(sent.map((request) => request.fault).slice(0, 4)).toEqual(['status', 'delay', 'status', 'pass']);
    const waited = sent[3]!.at - sent[2]!.at;
    expect(waited).toBeGreaterThanOrEqual(1_000);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [kioskDir]);
  });

  it('dead-letters one event the API rejects while the rest of its batch and the queue flow on', async () => {
    const { api, kiosk, kioskDir, token } = await setup();
    capture(kiosk, 15);
    const poisoned = readKioskLedger(kioskDir).ids[6]!;
    const proxy = await proxied(api, [], (path, body) => {
      if (path !== '/v1/ingest') return body;
      const batch = JSON.parse(body.toString('utf8')) as { events: Array<{ event: { id: string; sig: string } }> };
      for (const item of batch.events) {
        if (item.event.id === poisoned) item.event.sig = `${item.event.sig[0] === 'A' ? 'B' : 'A'}${item.event.sig.slice(1)}`;
      }
      return Buffer.from(JSON.stringify(batch));
    });
    const worker = run(fastWorker(kiosk.ledger, { apiUrl: proxy.url, dataDir: kioskDir, enrolmentToken: token, batchSize: 10 }));
    await drained(worker);

    const ledger = readKioskLedger(kioskDir);
    expect(ledger.dead).toEqual([poisoned]);
    // fourteen consents and the clock observation the drain began with
    expect(kiosk.ledger.status().outbox).toMatchObject({ pending: 0, synced: 15, dead: 1 });
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [kioskDir]);
  });

  it('asks for re-enrolment instead of retrying an enrolment token the API refuses', async () => {
    const { api, kiosk, kioskDir } = await setup();
    capture(kiosk, 3);
    const worker = run(fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir: kioskDir, enrolmentToken: 'not-a-token-the-api-issued' }));
    await vi.waitFor(() => expect(worker.status().state).toBe('needs_enrolment'), { timeout: 5_000, interval: 20 });
    expect(worker.status()).toMatchObject({ pending: 3, nextAttemptAt: null });

    await worker.enrol(await api.store.devices.createToken());
    await drained(worker);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [kioskDir]);
  });

  it('stops on a 401 without retrying in a loop, shows it, and resumes once enrolled again', async () => {
    const { api, kiosk, kioskDir, token } = await setup();
    const proxy = await proxied(api, []);
    const worker = run(fastWorker(kiosk.ledger, { apiUrl: proxy.url, dataDir: kioskDir, enrolmentToken: token }));
    await captureAndDrain(kiosk, worker, 2);

    await revokeAndCapture(api, kiosk, worker);
    expect(worker.status()).toMatchObject({ pending: 3, nextAttemptAt: null, lastError: expect.stringContaining('401') });
    const refusedSoFar = ingestRequests(proxy).length;
    worker.wake('capture');
    worker.wake('timer');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ingestRequests(proxy)).toHaveLength(refusedSoFar);

    await worker.enrol(await reEnrolmentToken(api, kiosk));
    await drained(worker);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [kioskDir]);
  });

  it('after a 401, a restart with a new enrolment token enrols the kiosk again (the technician\'s way)', async () => {
    const { api, kiosk, kioskDir, token } = await setup();
    const first = fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir: kioskDir, enrolmentToken: token });
    run(first);
    await captureAndDrain(kiosk, first, 2);

    await revokeAndCapture(api, kiosk, first);
    await first.stop();
    // the refused credential is kept for the record, never presented again
    expect(existsSync(join(kioskDir, CREDENTIAL_FILE))).toBe(false);
    expect(existsSync(join(kioskDir, REFUSED_CREDENTIAL_FILE))).toBe(true);

    const restarted = run(fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir: kioskDir, enrolmentToken: await reEnrolmentToken(api, kiosk) }));
    await drained(restarted);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [kioskDir]);
  });
});
