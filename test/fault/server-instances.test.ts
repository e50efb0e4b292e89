import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsentCheckBatchResponse, type EnrolmentResponse, IngestResponse } from '../../shared/contract/sync.ts';
import type { Business } from '../../shared/contract/profile.ts';
import { spawnServer } from '../../server/spawn-server.ts';
import { openStore } from '../../server/store/store.ts';
import { fastWorker } from './fixtures/sync-harness.ts';
import { expectServerHoldsExactlyWhatWasCaptured } from './fixtures/sync-invariant.ts';
import { atmTerms, consentDraft, demoBusinesses, openTestKiosk, readServerEvents } from './fixtures/sync-kiosk.ts';
import { TestKiosk } from '../unit/server/test-kiosk.ts';
import { TEST_BUSINESSES } from '../unit/server/test-server.ts';
import { STORE, freshStore } from '../unit/server/test-store.ts';

const DEV_TOKEN = 'instances-test-enrolment-token';
const READER_TOKEN = 'instances-test-consent-reader-token';
const ADMIN_TOKEN = 'instances-test-admin-token-0123';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Two API processes on one store: one PostgreSQL schema (each instance with its own data dir, the key files shared
 * as an operator hands them out), or one SQLite data dir (the same file, on one machine).
 */
async function twoInstances(businesses: readonly Business[] = TEST_BUSINESSES) {
  const keys = tempDir('consent-keys');
  const statementKeyFile = join(keys, 'statement.pem');
  const dataKeyFile = join(keys, 'data.key');
  writeFileSync(statementKeyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(dataKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  const { databaseUrl } = await freshStore();
  const shared = tempDir('consent-api');
  const dataDirOf = (name: string) => (databaseUrl === undefined ? shared : join(shared, name));
  const config = { businesses: [...businesses], databaseUrl, statementKeyFile, dataKeyFile, devEnrolmentToken: DEV_TOKEN, consentReaderToken: READER_TOKEN, adminToken: ADMIN_TOKEN, port: 0 };
  const start = async (name: string) => {
    const server = await spawnServer({ ...config, dataDir: dataDirOf(name) });
    cleanups.push(() => server.child.kill('SIGKILL'));
    return server;
  };
  const [a, b] = [await start('a'), await start('b')];
  // what the test reads the store through: the same database, opened beside the instances
  const store = await openStore({ dataDir: dataDirOf('reader'), databaseUrl, statementKeyFile, dataKeyFile, clockToleranceMs: 60_000 });
  cleanups.push(() => store.close());
  return { a, b, store };
}

/** A load balancer in front of the instances: every request goes to `target`, a request the target drops answers 502. */
async function balancer(target: () => string): Promise<{ url: string; ingests: () => number }> {
  let ingests = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/v1/ingest') ingests += 1;
    const upstream = new URL(target());
    const forwarded = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'storage_unavailable', message: 'upstream gone' }));
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ingests: () => ingests };
}

const post = (url: string, path: string, body: unknown, bearer?: string) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify(body) });

describe(`two API instances on one store (${STORE})`, () => {
  it('lets a kiosk fail over from one to the other mid-backlog: nothing lost, nothing twice, the chain in order, every state right', async () => {
    const { a, b, store } = await twoInstances(demoBusinesses);
    let target = a.url;
    const lb = await balancer(() => target);
    const dir = tempDir('instances-kiosk');
    const kiosk = openTestKiosk(dir);
    cleanups.push(() => kiosk.close());
    const phones = Array.from({ length: 60 }, (_, i) => `+8190777${String(i).padStart(5, '0')}`);
    for (const phone of phones) {
      kiosk.ledger.capture(consentDraft(phone, 'opt_in', ['balance_alerts']), atmTerms);
      kiosk.ledger.capture(consentDraft(phone, 'opt_in', ['offers']), atmTerms);
    }
    phones.forEach((phone, i) => i % 2 === 0 && kiosk.ledger.capture(consentDraft(phone, 'opt_out', ['offers']), atmTerms));

    const worker = fastWorker(kiosk.ledger, { apiUrl: lb.url, dataDir: dir, enrolmentToken: DEV_TOKEN, batchSize: 10, observationIntervalMs: 0 });
    worker.start();
    cleanups.push(() => worker.stop());
    await vi.waitFor(() => expect(lb.ingests()).toBeGreaterThanOrEqual(4), { timeout: 20_000, interval: 5 });
    // the first instance dies mid-backlog, batches possibly in flight; the balancer sends everything to the second
    a.child.kill('SIGKILL');
    target = b.url;
    await vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout: 30_000, interval: 20 });

    await expectServerHoldsExactlyWhatWasCaptured(store, [dir]);
    const checks = await post(b.url, '/v1/consent/check-batch', { businessId: atmTerms.business.id, purposeId: 'offers', items: phones.map((phone) => ({ phone })) }, READER_TOKEN);
    const { results } = ConsentCheckBatchResponse.parse(await checks.json());
    expect(results.map((r) => r.state)).toEqual(phones.map((_, i) => (i % 2 === 0 ? 'opted_out' : 'opted_in')));
    const alerts = await post(b.url, '/v1/consent/check', { businessId: atmTerms.business.id, phone: phones[0], purposeId: 'balance_alerts' }, READER_TOKEN);
    expect(await alerts.json()).toMatchObject({ allowed: true, timeQuality: 'bounded' });
  });

  it("stores one device's batches sent to both instances at once exactly once each, in chain order", async () => {
    const { a, b, store } = await twoInstances();
    const kiosk = new TestKiosk();
    const { credential } = (await (await post(a.url, '/v1/devices/enrol', kiosk.enrolmentRequest(DEV_TOKEN))).json()) as EnrolmentResponse;
    const phones = Array.from({ length: 16 }, (_, i) => `+81908880${String(i).padStart(4, '0')}`);
    const batches = [[await kiosk.observe(a.url, credential)], ...phones.map((phone) => kiosk.events(25, { phone }))];
    const ingest = async (url: string, events: unknown[]) => {
      const response = await post(url, '/v1/ingest', { events }, credential);
      expect(response.status).toBe(200);
      return IngestResponse.parse(await response.json()).results;
    };
    const results = [];
    // each batch to both at once, and the next one already on its way to the other instance
    for (let i = 0; i < batches.length; i += 2) {
      const pair = [batches[i]!, batches[i + 1] ?? []].filter((batch) => batch.length > 0);
      results.push(...(await Promise.all(pair.flatMap((batch, j) => [ingest(j === 0 ? a.url : b.url, batch), ingest(j === 0 ? b.url : a.url, batch)]))).flat());
    }
    const all = batches.flat();
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    for (const item of all) {
      expect(results.filter((r) => r.id === item.event.id && r.status === 'accepted'), `${item.event.seq} accepted once`).toHaveLength(1);
    }
    expect((await readServerEvents(store)).map((e) => [e.seq, e.id])).toEqual(all.map((item) => [item.event.seq, item.event.id]));
    const head = await fetch(`${b.url}/v1/devices/head`, { headers: { authorization: `Bearer ${credential}` } });
    expect(((await head.json()) as { statement: { head: { seq: number } } }).statement.head.seq).toBe(all.length);
    // every time placed by the observation at seq 1, whichever batch was stored first (a batch placed without
    // seeing it, or a correction missing a batch not yet committed, would leave times unbounded)
    const items = phones.map((phone) => ({ phone, purposeId: 'balance-alerts' }));
    const checks = ConsentCheckBatchResponse.parse(await (await post(a.url, '/v1/consent/check-batch', { businessId: 'sakura-bank', items }, READER_TOKEN)).json());
    expect(checks.results.map((r) => [r.state, r.timeQuality])).toEqual(phones.map(() => ['opted_in', 'bounded']));
  });

  it('makes a rotation, a new business and a revocation made through one instance binding on the other', async () => {
    const { a, b } = await twoInstances();
    const kiosk = new TestKiosk();
    const { credential } = (await (await post(a.url, '/v1/devices/enrol', kiosk.enrolmentRequest(DEV_TOKEN))).json()) as EnrolmentResponse;
    const statuses = async (url: string, events: unknown[]) => {
      const response = await post(url, '/v1/ingest', { events }, credential);
      return response.status === 200 ? IngestResponse.parse(await response.json()).results.map((r) => r.status) : response.status;
    };
    expect(await statuses(b.url, kiosk.events(2))).toEqual(['accepted', 'accepted']);
    expect(await statuses(a.url, [kiosk.rotate()])).toEqual(['accepted']);
    // signed by the key the rotation named, which the second instance had not seen when it last loaded this device
    expect(await statuses(b.url, kiosk.events(2))).toEqual(['accepted', 'accepted']);

    const go2shop = { id: 'go2shop', name: 'Go2Shop', whatsappNumber: '+38512345678' };
    const put = await fetch(`${a.url}/v1/admin/businesses/go2shop`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ name: go2shop.name, whatsappNumber: go2shop.whatsappNumber }),
    });
    expect(put.status).toBe(201);
    // another instance's registry is at most a second old
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await statuses(b.url, [kiosk.event({ business: go2shop })])).toEqual(['accepted']);
    expect((await post(b.url, '/v1/consent/check', { businessId: 'go2shop', phone: '+819012345678', purposeId: 'balance-alerts' }, READER_TOKEN)).status).toBe(200);

    expect((await post(a.url, `/v1/admin/devices/${kiosk.deviceId}/revoke`, {}, ADMIN_TOKEN)).status).toBe(200);
    expect(await statuses(b.url, kiosk.events(1))).toBe(401);
  });
});
