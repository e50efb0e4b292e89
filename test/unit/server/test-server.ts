import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnrolmentResponse, IngestItem, IngestResponse } from '../../../shared/contract/sync.ts';
import { startServer, type RunningServer, type StartServerOptions } from '../../../server/start-server.ts';
import { TestKiosk } from './test-kiosk.ts';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const WEBHOOK_APP_SECRET = 'whatsapp-app-secret-for-tests';
export const WEBHOOK_VERIFY_TOKEN = 'verify-token-for-tests';

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  post: (path: string, body: unknown, bearer?: string) => Promise<Response>;
  enrol: (kiosk: TestKiosk) => Promise<string>;
  ingest: (credential: string, items: IngestItem[], clockOffsetMs?: number) => Promise<IngestResponse>;
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

/** A real server on a loopback port over a real SQLite file in a fresh temp dir. */
export async function startTestServer(overrides: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'consent-api-'));
  const options: StartServerOptions = {
    dataDir,
    port: 0,
    adminToken: ADMIN_TOKEN,
    webhookAppSecret: WEBHOOK_APP_SECRET,
    webhookVerifyToken: WEBHOOK_VERIFY_TOKEN,
    log: () => {},
    ...overrides,
  };
  const harness: TestServer = {
    server: await startServer(options),
    dataDir,
    post: (path, body, bearer) =>
      fetch(`${harness.server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async enrol(kiosk) {
      const { token } = (await (await harness.post('/v1/admin/enrolment-tokens', {}, ADMIN_TOKEN)).json()) as { token: string };
      const response = await harness.post('/v1/devices/enrol', kiosk.enrolmentRequest(token));
      if (response.status !== 200) throw new Error(`enrolment failed: ${response.status} ${await response.text()}`);
      return ((await response.json()) as EnrolmentResponse).credential;
    },
    async ingest(credential, items, clockOffsetMs = 0) {
      const response = await harness.post('/v1/ingest', { clockOffsetMs, events: items }, credential);
      if (response.status !== 200) throw new Error(`ingest failed: ${response.status} ${await response.text()}`);
      return (await response.json()) as IngestResponse;
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
export async function startWithEnrolledKiosk(): Promise<{ api: TestServer; kiosk: TestKiosk; credential: string }> {
  const api = await startTestServer();
  const kiosk = new TestKiosk();
  return { api, kiosk, credential: await api.enrol(kiosk) };
}
