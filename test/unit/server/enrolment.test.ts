import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { EnrolmentResponse } from '../../../shared/contract/sync.ts';
import { KioskError } from '../../../shared/contract/errors.ts';
import { checkTypedToken } from '../../../shared/enrolment-token.ts';
import { SAKURA_BANK, SORA_AIRLINES, TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-server.ts';

let api: TestServer;
beforeEach(async () => {
  api = await startTestServer({ devEnrolmentToken: 'dev-enrolment-token-0123456789' });
});
afterEach(() => api.stop());

async function newToken(): Promise<string> {
  const response = await api.post('/v1/admin/enrolment-tokens', {}, ADMIN_TOKEN);
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

describe('device enrolment', () => {
  it('enrols a device once with an operator token and hands back a credential', async () => {
    const kiosk = new TestKiosk();
    const response = await api.post('/v1/devices/enrol', kiosk.enrolmentRequest(await newToken()));
    expect(response.status).toBe(200);
    const body = EnrolmentResponse.parse(await response.json());
    expect(body.deviceId).toBe(kiosk.deviceId);
  });

  it('refuses a token the second time, even for the same device', async () => {
    const token = await newToken();
    expect((await api.post('/v1/devices/enrol', new TestKiosk().enrolmentRequest(token))).status).toBe(200);
    const replay = await api.post('/v1/devices/enrol', new TestKiosk().enrolmentRequest(token));
    expect(replay.status).toBe(409);
    expect(KioskError.parse(await replay.json()).message).toMatch(/already been used/);
  });

  it('makes an address that keeps guessing tokens wait, even with a real token, and lets it enrol once the wait is over', async () => {
    const clock = new TestClock();
    await api.stop();
    api = await startTestServer({ now: clock.date });
    const guess = () => api.post('/v1/devices/enrol', new TestKiosk().enrolmentRequest(String(4_000_000_000_000_000 + Math.floor(Math.random() * 1e15))));
    for (let miss = 0; miss < 10; miss++) expect((await guess()).status).toBe(401);
    const kiosk = new TestKiosk();
    const token = await newToken();
    const refused = await api.post('/v1/devices/enrol', kiosk.enrolmentRequest(token));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(KioskError.parse(await refused.json()).message).toMatch(/Too many unknown enrolment tokens from this address; try again in \d+ s\./);
    clock.advance(10 * 60_000);
    expect((await api.post('/v1/devices/enrol', kiosk.enrolmentRequest(token))).status).toBe(200);
  });

  it('refuses an unknown token with 401 and a reason', async () => {
    const response = await api.post('/v1/devices/enrol', new TestKiosk().enrolmentRequest('never-issued-token-0123456789'));
    expect(response.status).toBe(401);
    expect(KioskError.parse(await response.json())).toMatchObject({ code: 'unauthorized', message: 'Unknown enrolment token.' });
  });

  it('refuses a key id that does not belong to the public key, and keeps the token usable', async () => {
    const token = await newToken();
    const kiosk = new TestKiosk();
    const response = await api.post('/v1/devices/enrol', { ...kiosk.enrolmentRequest(token), keyId: 'f'.repeat(32) });
    expect(response.status).toBe(400);
    expect((await api.post('/v1/devices/enrol', kiosk.enrolmentRequest(token))).status).toBe(200);
  });

  it('accepts the configured development token once, for every registered business', async () => {
    const kiosk = new TestKiosk();
    const response = await api.post('/v1/devices/enrol', kiosk.enrolmentRequest('dev-enrolment-token-0123456789'));
    expect(response.status).toBe(200);
    const { credential } = EnrolmentResponse.parse(await response.json());
    const { results } = await api.ingest(credential, [kiosk.event({ business: SAKURA_BANK }), kiosk.event({ business: SORA_AIRLINES })]);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect((await api.post('/v1/devices/enrol', new TestKiosk().enrolmentRequest('dev-enrolment-token-0123456789'))).status).toBe(409);
  });

  it('guards token creation with the admin token', async () => {
    expect((await api.post('/v1/admin/enrolment-tokens', {})).status).toBe(401);
    expect((await api.post('/v1/admin/enrolment-tokens', {}, 'wrong-admin-token-0123456789')).status).toBe(401);
  });

  it('lets an operator mint a token from the command line that a device can use', async () => {
    const env = { ...process.env, ...(api.databaseUrl ? { DATABASE_URL: api.databaseUrl } : {}) };
    const token = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/enrolment-token.ts', '--data', api.dataDir], { encoding: 'utf8', env }).trim();
    // short enough for a technician to type on the terminal's keypad, with the check digit that catches a typo
    expect(checkTypedToken(token)).toEqual({ ok: true, token });
    expect((await api.post('/v1/devices/enrol', new TestKiosk().enrolmentRequest(token))).status).toBe(200);
  });

  it('serves its OpenAPI document and a health check', async () => {
    const doc = (await (await fetch(`${api.server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/v1/devices/enrol');
    expect((await fetch(`${api.server.url}/health`)).status).toBe(200);
  });
});
