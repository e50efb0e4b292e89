import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it, vi } from 'vitest';
import { startFaultProxy } from './fixtures/sync-fault-proxy.ts';
import { startApi, tempDir } from './fixtures/sync-harness.ts';
import { expectServerHoldsExactlyWhatWasCaptured } from './fixtures/sync-invariant.ts';
import { readKioskLedger, readServerEvents } from './fixtures/sync-kiosk.ts';

const child = fileURLToPath(new URL('./fixtures/sync-kiosk-child.ts', import.meta.url));
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function startKiosk(args: string[]): { process: ChildProcess; output: () => string } {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  cleanups.push(() => proc.kill('SIGKILL'));
  return { process: proc, output: () => output };
}

it('loses and doubles nothing when the kiosk host is killed with SIGKILL mid-batch and restarted', async () => {
  const api = await startApi(tempDir('sync-api'));
  cleanups.push(() => api.close());
  // every ingest answer is held back a little, so the kill lands while a batch is in flight
  const proxy = await startFaultProxy({ upstream: api.url, plan: () => ({ kind: 'delay', ms: 150 }) });
  cleanups.push(() => proxy.close());
  const kioskDir = tempDir('sync-kiosk');
  const ingests = () => proxy.requests.filter((request) => request.path === '/v1/ingest').length;

  const first = startKiosk([kioskDir, proxy.url, await api.store.devices.createToken(), '100']);
  await vi.waitFor(() => expect(ingests()).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 5 });
  first.process.kill('SIGKILL');
  await once(first.process, 'exit');
  expect(first.output()).not.toContain('drained');
  const left = readKioskLedger(kioskDir).pending;
  expect(left).toBeGreaterThan(0);
  // the batch in flight at the kill still reaches the API: it holds events the kiosk never heard were stored
  await vi.waitFor(async () => expect((await readServerEvents(api.store)).length).toBeGreaterThan(100 - left), { timeout: 5_000 });

  const second = startKiosk([kioskDir, proxy.url, 'no-new-token-needed-once-enrolled', '0']);
  const [code] = (await once(second.process, 'exit')) as [number];
  expect(code).toBe(0);
  expect(second.output()).toContain('drained');
  await expectServerHoldsExactlyWhatWasCaptured(api.store, [kioskDir]);
});
