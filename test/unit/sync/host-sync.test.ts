import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { createHost } from '../../../electron/host/host.ts';
import { syncWorkerFactory } from '../../../electron/sync/sync-worker.ts';
import { sentenceForTyped } from '../../fixtures/shown-sentence.ts';
import { startApi, tempDir } from '../../fault/fixtures/sync-harness.ts';
import { atmTerms, quietLog, readServerEvents } from '../../fault/fixtures/sync-kiosk.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

it('sends a consent captured through the host to the API at once, without waiting for the timer', async () => {
  const api = await startApi(tempDir('sync-api'));
  cleanups.push(() => api.close());
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'kiosk-host-sync-')), 'data');
  const host = await createHost({
    dataDir,
    profilePath: path.resolve('profiles/demo.signed.json'),
    profileKeyPath: path.resolve('profiles/development-provisioning-key.pub.pem'),
    log: quietLog,
    sync: syncWorkerFactory({
      apiUrl: api.url,
      dataDir,
      appVersion: '0.1.0-test',
      enrolmentToken: await api.store.devices.createToken(),
      intervalMs: 3_600_000,
      log: quietLog,
    }),
  });
  cleanups.push(() => host.close());

  const captured = await host.dispatch('captureConsent', {
    kind: 'opt_out',
    flowId: 'atm',
    entryPoint: 'atm.stop_messages',
    locale: 'en',
    subject: { source: 'self_entered', phone: '090-3333-4444', country: 'JP' },
    consents: [{ purposeIds: ['balance_alerts'], shownText: sentenceForTyped(atmTerms, 'opt_out', ['balance_alerts'], 'en', '090-3333-4444') }],
  });
  expect(captured.ok).toBe(true);

  // the consent, after the clock observation the worker's first drain recorded
  await vi.waitFor(async () => expect(await readServerEvents(api.store)).toHaveLength(2), { timeout: 5_000, interval: 20 });
  await vi.waitFor(async () => {
    const status = await host.dispatch('getStatus', {});
    expect(status).toMatchObject({ ok: true, value: { outbox: { pending: 0, synced: 2 }, sync: { state: 'idle', lastError: null } } });
  });
});
