import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncWorker } from '../../electron/sync/sync-worker.ts';
import { startFaultProxy } from './fixtures/sync-fault-proxy.ts';
import { consentCheck, fastWorker, publishedKeys, startApi, tempDir } from './fixtures/sync-harness.ts';
import { expectServerHoldsExactlyWhatWasCaptured } from './fixtures/sync-invariant.ts';
import { atmTerms, consentDraft, openTestKiosk, type TestKiosk } from './fixtures/sync-kiosk.ts';
import { legacyLedger } from '../unit/ledger/fixtures.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function capture(kiosk: TestKiosk, count: number, from = 0): void {
  for (let i = from; i < from + count; i++) kiosk.ledger.capture(consentDraft(`+8190${44_440_000 + i}`, 'opt_in', ['balance_alerts']), atmTerms);
}

async function syncToEnd(worker: SyncWorker): Promise<void> {
  worker.start();
  cleanups.push(() => worker.stop());
  await vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout: 10_000, interval: 20 });
  await worker.stop();
}

const rotationsIn = (body: Buffer) =>
  (JSON.parse(body.toString('utf8')) as { events: Array<{ event: { seq: number; type?: string; device: { keyId: string } } }> }).events;

describe('key rotation, end to end', () => {
  it('syncs a rotation, and the API verifies every event after it against the key it named', async () => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    // the answer to the batch holding the rotation is held back: nothing signed by the next key may go meanwhile
    const proxy = await startFaultProxy({
      upstream: api.url,
      plan: ({ path }) => (path === '/v1/ingest' ? { kind: 'delay', ms: 20 } : { kind: 'pass' }),
    });
    cleanups.push(() => proxy.close());
    const dir = tempDir('sync-kiosk');
    const kiosk = openTestKiosk(dir);
    cleanups.push(() => kiosk.close());
    const token = await api.store.devices.createToken();
    const worker = () => fastWorker(kiosk.ledger, { apiUrl: proxy.url, dataDir: dir, enrolmentToken: token, batchSize: 4, observationIntervalMs: 0 });

    capture(kiosk, 3);
    await syncToEnd(worker());
    const first = kiosk.ledger.keyId;
    // enough before the rotation that its batch is not the drain's first, which goes alone anyway
    capture(kiosk, 9, 3);
    const { seq } = kiosk.ledger.rotateKey('scheduled');
    capture(kiosk, 9, 12);
    await syncToEnd(worker());

    const second = kiosk.ledger.keyId;
    expect(second).not.toBe(first);
    const { deviceKeys } = await publishedKeys(api, kiosk.ledger.deviceId);
    expect(deviceKeys.keys.map(({ keyId, fromSeq, toSeq }) => [keyId, fromSeq, toSeq])).toEqual([
      [first, 1, seq],
      [second, seq + 1, null],
    ]);
    expect(kiosk.ledger.status().outbox.dead).toBe(0);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [dir]);
    expect(await consentCheck(api, '+819044440020', 'balance_alerts')).toMatchObject({ allowed: true });

    // the batch holding the rotation ended with it and was the only one in flight until its answer came
    const batches = proxy.requests.filter((request) => request.path === '/v1/ingest');
    const holding = batches.findIndex((request) => rotationsIn(request.body).some((item) => item.event.type === 'key_rotation'));
    expect(rotationsIn(batches[holding]!.body).at(-1)!.event).toMatchObject({ type: 'key_rotation', seq, device: { keyId: first } });
    const after = batches.slice(holding + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((request) => rotationsIn(request.body).every((item) => item.event.device.keyId === second))).toBe(true);
    expect(after[0]!.at - batches[holding]!.at).toBeGreaterThanOrEqual(20);
  });

  it('enrols with the first key when the device rotated before it ever synced, and the API follows the rotation', async () => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    const dir = tempDir('sync-kiosk');
    const kiosk = openTestKiosk(dir);
    cleanups.push(() => kiosk.close());
    const [firstKey] = kiosk.ledger.keys();
    capture(kiosk, 2);
    kiosk.ledger.rotateKey('technician');
    capture(kiosk, 2, 2);
    await syncToEnd(fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir: dir, enrolmentToken: await api.store.devices.createToken() }));

    const { deviceKeys } = await publishedKeys(api, kiosk.ledger.deviceId);
    expect(deviceKeys.keys.map((key) => [key.keyId, key.fromSeq, key.addedBy])).toEqual([
      [firstKey!.keyId, 1, 'enrolment'],
      [kiosk.ledger.keyId, 4, 'rotation'],
    ]);
    expect(kiosk.ledger.status().outbox.dead).toBe(0);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [dir]);
  });

  it('holds everything signed by the next key while the API refuses the rotation, and sends it once the API accepts', async () => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    let refuse = true;
    const proxy = await startFaultProxy({
      upstream: api.url,
      plan: () => ({ kind: 'pass' }),
      // the rotation's signature is damaged on the wire, so the API rejects it, until the fault is lifted
      rewrite: (path, body) => {
        if (!refuse || path !== '/v1/ingest') return body;
        const batch = JSON.parse(body.toString('utf8')) as { events: Array<{ event: { type?: string; sig: string } }> };
        for (const item of batch.events) if (item.event.type === 'key_rotation') item.event.sig = `${item.event.sig[0] === 'A' ? 'B' : 'A'}${item.event.sig.slice(1)}`;
        return Buffer.from(JSON.stringify(batch));
      },
    });
    cleanups.push(() => proxy.close());
    const dir = tempDir('sync-kiosk');
    const kiosk = openTestKiosk(dir);
    cleanups.push(() => kiosk.close());
    const token = await api.store.devices.createToken();
    capture(kiosk, 2);
    kiosk.ledger.rotateKey('suspected_compromise');
    capture(kiosk, 3, 2);

    const worker = fastWorker(kiosk.ledger, { apiUrl: proxy.url, dataDir: dir, enrolmentToken: token });
    cleanups.push(() => worker.stop());
    worker.start();
    await vi.waitFor(() => expect(worker.status().lastError).toMatch(/refused the key rotation at seq 3/), { timeout: 5_000, interval: 20 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const newKey = kiosk.ledger.keyId;
    const sent = proxy.requests.filter((request) => request.path === '/v1/ingest').flatMap((request) => rotationsIn(request.body));
    expect(sent.some((item) => item.event.device.keyId === newKey)).toBe(false);
    // the rotation, the three consents the new key signed and the drain's clock observation, which it signed too
    expect(kiosk.ledger.status().outbox).toMatchObject({ dead: 0, pending: 5 });

    refuse = false;
    worker.wake('network-up');
    await vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0, lastError: null }), { timeout: 10_000, interval: 20 });
    expect(kiosk.ledger.status().outbox.dead).toBe(0);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [dir]);
  });
});

describe('a ledger written before the trust model', () => {
  it('syncs its version 1 consents, and the API holds them and answers for them', async () => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    const { dataDir, ids } = legacyLedger(3);
    const kiosk = openTestKiosk(dataDir);
    cleanups.push(() => kiosk.close());
    capture(kiosk, 1);
    await syncToEnd(fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir, enrolmentToken: await api.store.devices.createToken() }));

    expect(kiosk.ledger.status().outbox).toMatchObject({ pending: 0, dead: 0 });
    const stored = (await api.store.db.all<{ id: string }>('SELECT id FROM events WHERE device_id = ? AND seq <= 4 ORDER BY seq', [kiosk.ledger.deviceId])).map((row) => row.id);
    expect(stored).toEqual(ids);
    expect(await consentCheck(api, '+819055550000', 'balance_alerts')).toMatchObject({ allowed: true, state: 'opted_in' });
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [dataDir]);
  });
});
