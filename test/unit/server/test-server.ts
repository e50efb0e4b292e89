import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsentCheckResponse, IngestResponse, type EnrolmentResponse, type IngestItem } from '../../../shared/contract/sync.ts';
import type { Placement } from '../../../shared/contract/primitives.ts';
import { startServer, type RunningServer, type StartServerOptions } from '../../../server/start-server.ts';
import { ADMIN_TOKEN, TEST_BUSINESSES, WEBHOOK_APP_SECRET, WEBHOOK_VERIFY_TOKEN } from './test-api-config.ts';
import { SAKURA_BANK, TestKiosk } from './test-kiosk.ts';
import { freshStore } from './test-store.ts';

export { ADMIN_TOKEN, TEST_BUSINESSES, WEBHOOK_APP_SECRET, WEBHOOK_VERIFY_TOKEN } from './test-api-config.ts';

export interface TokenTerms {
  businessIds?: string[];
  placement?: Placement;
}

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  /** The PostgreSQL schema it runs on (`search_path` in the URL), when the run is on PostgreSQL. */
  databaseUrl: string | undefined;
  /** Every line the API logged, to check what it reports (and that no number ever appears). */
  logs: string[];
  post: (path: string, body: unknown, bearer?: string) => Promise<Response>;
  get: (path: string, bearer?: string) => Promise<Response>;
  token: (terms?: TokenTerms) => Promise<string>;
  enrol: (kiosk: TestKiosk, terms?: TokenTerms) => Promise<string>;
  ingest: (credential: string, items: IngestItem[]) => Promise<IngestResponse>;
  check: (phone: string, purposeId: string, businessId?: string, asOf?: string) => Promise<ConsentCheckResponse>;
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * A real server on a loopback port over a fresh store of this run's kind: a real SQLite file in a fresh temp dir, or
 * a fresh schema of a real PostgreSQL database (the temp dir then holds only the keys).
 */
export async function startTestServer(overrides: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'consent-api-'));
  const logs: string[] = [];
  const options: StartServerOptions = {
    dataDir,
    ...(overrides.dataDir === undefined ? await freshStore() : {}),
    port: 0,
    adminToken: ADMIN_TOKEN,
    webhookAppSecret: WEBHOOK_APP_SECRET,
    webhookVerifyToken: WEBHOOK_VERIFY_TOKEN,
    businesses: TEST_BUSINESSES,
    log: (line) => logs.push(line),
    ...overrides,
  };
  const url = (path: string) => `${harness.server.url}${path}`;
  const harness: TestServer = {
    server: await startServer(options),
    dataDir,
    databaseUrl: options.databaseUrl,
    logs,
    post: (path, body, bearer) =>
      fetch(url(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    get: (path, bearer) => fetch(url(path), { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} }),
    async token(terms = {}) {
      const response = await harness.post('/v1/admin/enrolment-tokens', terms, ADMIN_TOKEN);
      if (response.status !== 201) throw new Error(`token refused: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { token: string }).token;
    },
    async enrol(kiosk, terms) {
      const response = await harness.post('/v1/devices/enrol', kiosk.enrolmentRequest(await harness.token(terms)));
      if (response.status !== 200) throw new Error(`enrolment failed: ${response.status} ${await response.text()}`);
      return ((await response.json()) as EnrolmentResponse).credential;
    },
    async ingest(credential, items) {
      const response = await harness.post('/v1/ingest', { events: items }, credential);
      if (response.status !== 200) throw new Error(`ingest failed: ${response.status} ${await response.text()}`);
      return IngestResponse.parse(await response.json());
    },
    async check(phone, purposeId, businessId = SAKURA_BANK.id, asOf) {
      const response = await harness.post('/v1/consent/check', { businessId, phone, purposeId, ...(asOf ? { asOf } : {}) }, ADMIN_TOKEN);
      if (response.status !== 200) throw new Error(`check failed: ${response.status} ${await response.text()}`);
      return ConsentCheckResponse.parse(await response.json());
    },
    async restart() {
      await harness.server.close();
      harness.server = await startServer(options);
    },
    async stop() {
      await harness.server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** A fresh API with one kiosk enrolled on it: for test files whose every test talks as that kiosk. */
export async function startWithEnrolledKiosk(overrides: Partial<StartServerOptions> = {}): Promise<{ api: TestServer; kiosk: TestKiosk; credential: string }> {
  const api = await startTestServer(overrides);
  const kiosk = new TestKiosk();
  return { api, kiosk, credential: await api.enrol(kiosk) };
}
