import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { inject } from 'vitest';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnrolmentResponse, IngestResponse, SubjectStateResponse } from '../../../shared/contract/sync.ts';
import { spawnServer, type ServerProcess } from '../../../server/spawn-server.ts';
import { DATABASE_FILE } from '../../../server/store/sqlite/open-database.ts';
import { userPreferencesWebhook } from '../../fixtures/whatsapp-webhooks.ts';
import { TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, TEST_BUSINESSES, WEBHOOK_APP_SECRET, startTestServer, type TestServer } from './test-server.ts';
import { STORE, asSuperuser, freshStore } from './test-store.ts';

const PHONE = '+819087654321';
const CUSTOMER_REF = 'CARD-4242-REF';
const DEV_TOKEN = 'personal-data-test-token-0001';

const dirs: string[] = [];
const processes: ServerProcess[] = [];
let api: TestServer | undefined;
afterEach(async () => {
  for (const p of processes.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  await api?.stop();
  api = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'consent-api-private-'));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string, extra: Record<string, string | number> = {}): Promise<ServerProcess> {
  const server = await spawnServer({
    dataDir,
    ...(extra.databaseUrl === undefined ? await freshStore() : {}),
    port: 0,
    adminToken: ADMIN_TOKEN,
    webhookAppSecret: WEBHOOK_APP_SECRET,
    devEnrolmentToken: DEV_TOKEN,
    businesses: TEST_BUSINESSES,
    ...extra,
  });
  processes.push(server);
  return server;
}

/** Start-up must fail: the rejection carries the one sentence the API printed. */
async function refusal(dataDir: string, extra: Record<string, string>): Promise<string> {
  const error = await start(dataDir, extra).then(
    () => null,
    (thrown: Error) => thrown.message,
  );
  expect(error).not.toBeNull();
  return error!;
}

const post = (url: string, path: string, body: unknown, bearer?: string, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const mode = (path: string) => statSync(path).mode & 0o777;

/** Every byte the API keeps on disk, to search for a number as someone who copied the data directory would. */
const everyFileIn = (dir: string): Buffer => Buffer.concat(readdirSync(dir).map((name) => readFileSync(join(dir, name))));

const everyFileBelow = (dir: string): Buffer[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? everyFileBelow(join(dir, entry.name)) : [readFileSync(join(dir, entry.name))]));

/**
 * What a copy of the store would hold: the data directory (SQLite's file, its WAL, the keys), or on PostgreSQL the
 * test database's files and the cluster's WAL once a checkpoint has written every page out.
 */
async function storeOnDisk(dataDir: string): Promise<Buffer> {
  if (STORE === 'sqlite') return everyFileIn(dataDir);
  const oid = await asSuperuser(async (client) => {
    await client.query('CHECKPOINT');
    return (await client.query<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0]!.oid;
  });
  const cluster = inject('postgresDir');
  return Buffer.concat([...everyFileBelow(join(cluster, 'base', String(oid))), ...everyFileBelow(join(cluster, 'pg_wal'))]);
}

describe('personal data at the API', () => {
  it('keeps phone numbers, customer references and webhook payloads only encrypted on disk, the WAL included', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir);
    const kiosk = new TestKiosk();
    const { credential } = EnrolmentResponse.parse(await (await post(server.url, '/v1/devices/enrol', kiosk.enrolmentRequest(DEV_TOKEN))).json());
    const ingested = IngestResponse.parse(await (await post(server.url, '/v1/ingest', { events: [kiosk.event({ phone: PHONE, customerRef: CUSTOMER_REF })] }, credential)).json());
    expect(ingested.results[0]!.status).toBe('accepted');
    const raw = JSON.stringify(userPreferencesWebhook(PHONE, 'stop', Math.floor(Date.now() / 1000) - 5));
    const signature = `sha256=${createHmac('sha256', WEBHOOK_APP_SECRET).update(raw).digest('hex')}`;
    expect((await post(server.url, '/v1/webhooks/whatsapp', raw, undefined, { 'x-hub-signature-256': signature })).status).toBe(200);
    const state = await post(server.url, '/v1/subjects/state', { businessId: 'sakura-bank', phone: PHONE }, ADMIN_TOKEN);
    expect(SubjectStateResponse.parse(await state.json()).decisions).toHaveLength(2);

    // killed, not stopped: the commits may still sit in the WAL
    processes[0]!.child.kill('SIGKILL');
    await processes[0]!.exited;
    const onDisk = await storeOnDisk(dataDir);
    for (const needle of [PHONE, PHONE.slice(1), PHONE.slice(3), CUSTOMER_REF]) expect(onDisk.includes(Buffer.from(needle))).toBe(false);
  });

  it('creates its data directory 0700 and every file in it 0600: database, WAL, shared memory (SQLite) and keys', async () => {
    const dataDir = join(tempDir(), 'api');
    const server = await start(dataDir);
    const kiosk = new TestKiosk();
    const { credential } = EnrolmentResponse.parse(await (await post(server.url, '/v1/devices/enrol', kiosk.enrolmentRequest(DEV_TOKEN))).json());
    await post(server.url, '/v1/ingest', { events: kiosk.events(2) }, credential);
    expect(mode(dataDir)).toBe(0o700);
    const files = readdirSync(dataDir).sort();
    const database = STORE === 'sqlite' ? [DATABASE_FILE, `${DATABASE_FILE}-shm`, `${DATABASE_FILE}-wal`] : [];
    expect(files).toEqual(expect.arrayContaining([...database, 'data.key', 'statement-key.pem']));
    for (const file of files) expect([file, mode(join(dataDir, file))]).toEqual([file, 0o600]);
  });

  it.runIf(STORE === 'sqlite')('tightens a data directory and database an earlier version left readable by others', async () => {
    const dataDir = join(tempDir(), 'api');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const db = new Database(join(dataDir, DATABASE_FILE));
    db.pragma('journal_mode = WAL');
    db.close();
    chmodSync(join(dataDir, DATABASE_FILE), 0o644);
    await start(dataDir);
    expect(mode(dataDir)).toBe(0o700);
    for (const file of readdirSync(dataDir)) expect([file, mode(join(dataDir, file))]).toEqual([file, 0o600]);
  });

  it('refuses to start, in one sentence, with a statement key or data key file that others can read', async () => {
    const keyDir = tempDir();
    const statementKeyFile = join(keyDir, 'statement.pem');
    writeFileSync(statementKeyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o644 });
    chmodSync(statementKeyFile, 0o644);
    const message = await refusal(tempDir(), { statementKeyFile });
    expect(message).toMatch(/consent API failed to start: the statement key file .*statement\.pem is readable by others \(mode 644\); make it 0600$/);

    const dataKeyFile = join(keyDir, 'data.key');
    writeFileSync(dataKeyFile, randomBytes(32).toString('base64'), { mode: 0o640 });
    chmodSync(dataKeyFile, 0o640);
    expect(await refusal(tempDir(), { dataKeyFile })).toMatch(/the data key file .* is readable by others \(mode 640\); make it 0600$/);
  });

  it('uses configured key files held 0600, and refuses a data key that is not the one the database was sealed with', async () => {
    const keyDir = tempDir();
    const dataKeyFile = join(keyDir, 'data.key');
    const statementKeyFile = join(keyDir, 'statement.pem');
    writeFileSync(dataKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    writeFileSync(statementKeyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const dataDir = tempDir();
    const store = await freshStore();
    await start(dataDir, { dataKeyFile, statementKeyFile, ...store });
    expect(readdirSync(dataDir)).not.toContain('data.key');
    processes.shift()!.child.kill('SIGKILL');

    writeFileSync(dataKeyFile, randomBytes(32).toString('base64'));
    expect(await refusal(dataDir, { dataKeyFile, statementKeyFile, ...store })).toMatch(/the data key \(id [0-9a-f]+\) is not the one this database was sealed with/);
  });

  it("erases a subject's personal data on request: checks answer unknown, the signed events stay stored and verifiable", async () => {
    api = await startTestServer();
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const optIn = kiosk.event({ kind: 'opt_in', phone: PHONE, customerRef: CUSTOMER_REF });
    const other = kiosk.event({ kind: 'opt_in', phone: '+819011112222' });
    await api.ingest(credential, [optIn, other]);
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ allowed: true });

    const erased = await api.post('/v1/admin/subjects/erase', { phone: PHONE, businessId: 'sakura-bank' }, ADMIN_TOKEN);
    expect(await erased.json()).toMatchObject({ openings: 1 });
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ allowed: false, state: 'unknown' });
    expect(await api.check('+819011112222', 'balance-alerts')).toMatchObject({ allowed: true });
    // sent again (a kiosk retrying), or with another event of the same capture, the opening is not stored again
    expect((await api.ingest(credential, [optIn])).results[0]!.status).toBe('duplicate');
    const sameCapture = kiosk.event({ kind: 'opt_in', purpose: { id: 'offers', category: 'marketing' }, opening: optIn.subject! });
    expect((await api.ingest(credential, [sameCapture])).results[0]!.status).toBe('accepted');
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ state: 'unknown' });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ state: 'unknown', allowed: false });

    const period = await api.get('/v1/admin/audit?from=2000-01-01T00:00:00.000Z&to=2100-01-01T00:00:00.000Z', ADMIN_TOKEN);
    const records = (await period.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { event: { id: string }; subject: unknown });
    expect(records.find((r) => r.event.id === optIn.event.id)).toMatchObject({ event: optIn.event, subject: null });
    expect(records.find((r) => r.event.id === other.event.id)?.subject).not.toBeNull();
  });

  it('leaves no trace of the subject of a rejected event: no row, no log line', async () => {
    api = await startTestServer();
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    await api.ingest(credential, kiosk.events(1, { phone: '+819011112222' }));
    const unknownBusiness = kiosk.event({ phone: PHONE, business: { id: 'go2shop', name: 'Go2Shop', whatsappNumber: '+38512345678' } });
    kiosk.rewind(0);
    const fork = kiosk.event({ phone: PHONE });
    const { results } = await api.ingest(credential, [unknownBusiness, fork]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);

    expect(await api.server.store.db.value('SELECT COUNT(*) FROM subjects')).toBe(1);
    expect(await api.server.store.db.value('SELECT COUNT(*) FROM events')).toBe(1);
    expect(api.logs.join('\n')).not.toMatch(/9087|654321/);
  });
});
