import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnrolmentResponse, IngestResponse } from '../../shared/contract/sync.ts';
import { spawnServer, type ServerProcess } from '../../server/spawn-server.ts';
import { TestKiosk } from '../unit/server/test-kiosk.ts';
import { TEST_BUSINESSES } from '../unit/server/test-server.ts';

const DEV_TOKEN = 'fault-test-enrolment-token-01';
const dirs: string[] = [];
const processes: ServerProcess[] = [];

afterEach(() => {
  for (const p of processes.splice(0)) p.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<ServerProcess> {
  const server = await spawnServer({ dataDir, port: 0, devEnrolmentToken: DEV_TOKEN, businesses: TEST_BUSINESSES });
  processes.push(server);
  return server;
}

const post = (url: string, body: unknown, bearer?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify(body) });

describe('the consent API under kill -9', () => {
  it('keeps every event it acknowledged when killed mid-stream, and takes the rest after restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'consent-api-kill-'));
    dirs.push(dataDir);
    const kiosk = new TestKiosk();
    let server = await start(dataDir);
    const { credential } = (await (await post(`${server.url}/v1/devices/enrol`, kiosk.enrolmentRequest(DEV_TOKEN))).json()) as EnrolmentResponse;

    const batches = Array.from({ length: 40 }, () => kiosk.events(100));
    const acknowledged: string[] = [];
    const sending = (async () => {
      for (const batch of batches) {
        const response = await post(`${server.url}/v1/ingest`, { events: batch }, credential);
        const body = (await response.json()) as IngestResponse;
        acknowledged.push(...body.results.filter((r) => r.status === 'accepted').map((r) => r.id));
      }
    })().catch(() => 'connection lost');
    // Killed while the stream runs: after its first acknowledgement (however slow a loaded machine makes it), with
    // the next batch in flight, never at a fixed time that a slow start can reach before anything is acknowledged.
    while (acknowledged.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.child.kill('SIGKILL');
    await server.exited;
    await sending;

    server = await start(dataDir);
    const all = batches.flat();
    const resent: IngestResponse['results'] = [];
    for (const batch of batches) {
      const body = (await (await post(`${server.url}/v1/ingest`, { events: batch }, credential)).json()) as IngestResponse;
      resent.push(...body.results);
    }
    const duplicates = new Set(resent.filter((r) => r.status === 'duplicate').map((r) => r.id));
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.length).toBeLessThan(all.length);
    for (const id of acknowledged) expect(duplicates.has(id)).toBe(true);
    expect(resent.every((r) => r.status !== 'rejected')).toBe(true);
    expect(resent).toHaveLength(all.length);
  });
});
