import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningServer } from '../../../server/start-server.ts';
import { PIPELINE_DEPTH, type SyncWorker } from '../../../electron/sync/sync-worker.ts';
import { CREDENTIAL_FILE } from '../../../electron/sync/enrolment.ts';
import { readSyncState } from '../../../electron/sync/sync-state.ts';
import { startFaultProxy, type FaultProxy } from '../../fault/fixtures/sync-fault-proxy.ts';
import { fastWorker, startApi, tempDir } from '../../fault/fixtures/sync-harness.ts';
import { atmTerms, consentDraft, openTestKiosk, type TestKiosk } from '../../fault/fixtures/sync-kiosk.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function world(
  delayMs = 0,
  rewriteAnswer?: (path: string, body: Buffer) => Buffer,
): Promise<{ api: RunningServer; proxy: FaultProxy; kiosk: TestKiosk; dir: string; worker: SyncWorker }> {
  const api = await startApi(tempDir('sync-api'));
  cleanups.push(() => api.close().catch(() => undefined));
  const proxy = await startFaultProxy({
    upstream: api.url,
    plan: ({ path }) => (path === '/v1/ingest' && delayMs > 0 ? { kind: 'delay', ms: delayMs } : { kind: 'pass' }),
    ...(rewriteAnswer ? { rewriteAnswer } : {}),
  });
  cleanups.push(() => proxy.close());
  const dir = tempDir('sync-kiosk');
  const kiosk = openTestKiosk(dir);
  cleanups.push(() => kiosk.close());
  const worker = fastWorker(kiosk.ledger, {
    apiUrl: proxy.url,
    dataDir: dir,
    enrolmentToken: await api.store.devices.createToken(),
    batchSize: 5,
    timeoutMs: 2_000,
    profileVersion: () => '2026-11-01',
  });
  cleanups.push(() => worker.stop());
  return { api, proxy, kiosk, dir, worker };
}

function capture(kiosk: TestKiosk, count: number): void {
  for (let i = 0; i < count; i++) kiosk.ledger.capture(consentDraft(`+8190${22_220_000 + i}`, 'opt_in', ['payment_notices']), atmTerms);
}

const ingests = (proxy: FaultProxy) => proxy.requests.filter((request) => request.path === '/v1/ingest');
const sentSeqs = (proxy: FaultProxy) =>
  ingests(proxy).map((request) =>
    (JSON.parse(request.body.toString('utf8')) as { events: Array<{ event: { seq: number } }> }).events.map((item) => item.event.seq),
  );
const drained = (worker: SyncWorker) =>
  vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout: 10_000, interval: 20 });

async function captureAndSync(kiosk: TestKiosk, worker: SyncWorker, count: number): Promise<void> {
  capture(kiosk, count);
  worker.start();
  await drained(worker);
}

describe('the sync worker', () => {
  it('sends the outbox in sequence order, in bounded batches, after the clock observation it records first', async () => {
    const { proxy, kiosk, worker } = await world();
    await captureAndSync(kiosk, worker, 12);
    // seq 13 is the boot's first clock observation, appended before the outbox went
    expect(sentSeqs(proxy)).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
      [11, 12, 13],
    ]);
    const heads = proxy.requests.filter((request) => request.path === '/v1/devices/head');
    expect(heads).toHaveLength(1);
    expect(heads[0]!.at).toBeLessThanOrEqual(ingests(proxy)[0]!.at);
    expect(kiosk.ledger.eventCounts()).toEqual({ consent: 12, clock_observation: 1, key_rotation: 0, service: 0 });
  });

  it('never runs two syncs at once however often it is woken', async () => {
    const { proxy, kiosk, worker } = await world(60);
    worker.start();
    for (let round = 0; round < 5; round++) {
      capture(kiosk, 3);
      for (let i = 0; i < 10; i++) worker.wake('capture');
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await drained(worker);
    // two syncs at once would both send the pending events: each event goes exactly once, one drain's batches at a time
    const observations = kiosk.ledger.eventCounts().clock_observation;
    expect(sentSeqs(proxy).flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 15 + observations }, (_, i) => i + 1));
    expect(proxy.maxInFlight()).toBeLessThanOrEqual(PIPELINE_DEPTH);
  });

  it('finishes the batch in flight on stop and keeps its acknowledgement', async () => {
    const { proxy, kiosk, worker } = await world(300);
    capture(kiosk, 4);
    worker.start();
    await vi.waitFor(() => expect(ingests(proxy)).toHaveLength(1), { timeout: 5_000, interval: 5 });
    await worker.stop();
    // the four consents and the clock observation, one batch
    expect(kiosk.ledger.status().outbox).toMatchObject({ pending: 0, synced: 5 });
  });

  it('leaves its state where kioskctl status shows it', async () => {
    const { api, kiosk, dir, worker } = await world();
    await captureAndSync(kiosk, worker, 2);
    await api.close();
    capture(kiosk, 1);
    worker.wake('capture');
    await vi.waitFor(() => expect(readSyncState(dir)).toMatchObject({ state: 'offline', pending: 1 }), { timeout: 5_000, interval: 20 });
    await worker.stop();
    kiosk.close();

    const printed = execFileSync(process.execPath, ['--import', 'tsx', 'electron/cli/kioskctl.ts', 'status', '--data', dir], {
      encoding: 'utf8',
    });
    expect(printed).toMatch(/^Sync {12}offline as of /m);
    expect(printed).toMatch(/^Last sync error .*could not be reached/m);
  });

  it('sends the unacknowledged part of a batch again before anything after it', async () => {
    let answers = 0;
    const { proxy, kiosk, worker } = await world(0, (path, body) => {
      if (path !== '/v1/ingest' || answers++ > 0) return body;
      const response = JSON.parse(body.toString('utf8')) as { results: unknown[] };
      return Buffer.from(JSON.stringify({ ...response, results: response.results.slice(0, 3) }));
    });
    await captureAndSync(kiosk, worker, 12);
    expect(sentSeqs(proxy)).toEqual([
      [1, 2, 3, 4, 5],
      [4, 5, 6, 7, 8],
      [9, 10, 11, 12, 13],
    ]);
  });

  it('tells the API its backlog, versions, last sync and funnel in a heartbeat, a flow left before any purpose showed included', async () => {
    const { api, kiosk, worker } = await world();
    kiosk.ledger.recordFunnel({ flowId: 'atm', purposeIds: [], locale: 'ja', outcome: 'timed_out' });
    await captureAndSync(kiosk, worker, 3);
    expect(worker.status()).toMatchObject({ state: 'idle', lastError: null });
    const counted = await api.store.db.all(`SELECT purpose_id AS "purposeId", count FROM funnel_counts WHERE outcome = 'timed_out'`);
    expect(counted).toEqual([{ purposeId: '', count: 1 }]);
    const heartbeat = await api.store.db.get('SELECT pending, dead, app_version, profile_version, last_sync_at FROM heartbeats');
    expect(heartbeat).toMatchObject({ pending: 0, dead: 0, app_version: '0.1.0-test', profile_version: '2026-11-01' });
    expect((heartbeat as { last_sync_at: string | null }).last_sync_at).not.toBeNull();
  });

  it('keeps the device credential in a file only its owner can read', async () => {
    const { kiosk, dir, worker } = await world();
    await captureAndSync(kiosk, worker, 1);
    expect(statSync(join(dir, CREDENTIAL_FILE)).mode & 0o777).toBe(0o600);
  });
});
