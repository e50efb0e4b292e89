import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Heartbeat } from '../../../shared/contract/sync.ts';
import { configEnv } from '../../../server/config.ts';
import { TestClock, TestKiosk } from './test-kiosk.ts';
import { startTestServer, type TestServer } from './test-server.ts';
import { STORE } from './test-store.ts';

const run = promisify(execFile);

const SITE = { organisationUnit: 'Sakura Bank', siteId: 'shinjuku', siteName: 'Shinjuku branch', terminalId: 'ATM 0413' };

const heartbeat = (outcome: 'shown' | 'declined', count: number, flowId = 'atm'): Heartbeat => ({
  pending: 0,
  dead: 0,
  oldestPendingAgeMs: null,
  lastSyncAt: null,
  appVersion: '1.0.0',
  profileVersion: '7',
  funnel: [
    { day: '2026-03-01', flowId, purposeId: 'balance_alerts', locale: 'ja', outcome, count },
    { day: '2026-03-01', flowId, purposeId: 'payment_notices', locale: 'ja', outcome, count },
  ],
});

let clock: TestClock;
let api: TestServer;
beforeEach(async () => {
  clock = new TestClock(Date.parse('2026-03-01T08:00:00.000Z'));
  api = await startTestServer({ now: clock.date });
});
afterEach(() => api.stop());

describe(`the console's store (${STORE})`, () => {
  it('keeps the console audit log append-only: the database refuses to change or delete an entry', async () => {
    const { consoleAudit, db } = api.server.store;
    await consoleAudit.record({ username: 'carla', role: 'compliance', action: 'erasure_request', target: '+••••5678 with sakura-bank', status: 200 });
    await expect(db.run(`UPDATE console_actions SET username = 'someone-else'`)).rejects.toThrow(/append-only/);
    await expect(db.run('DELETE FROM console_actions')).rejects.toThrow(/append-only/);
    expect(await consoleAudit.latest(10)).toEqual([expect.objectContaining({ username: 'carla', action: 'erasure_request', status: 200 })]);
  });

  it('signs in only with the right password, keeps only hashes, and ends a session when it expires', async () => {
    const accounts = api.server.store.consoleAccounts;
    expect(await accounts.create('olive', 'operator', 'operator-password-1')).toBe('created');
    expect(await accounts.create('olive', 'compliance', 'another-password-1')).toBe('exists');
    expect(await accounts.authenticate('olive', 'wrong-password-1')).toBeNull();
    expect(await accounts.authenticate('nobody', 'operator-password-1')).toBeNull();
    const account = await accounts.authenticate('olive', 'operator-password-1');
    expect(account).toEqual({ username: 'olive', role: 'operator' });

    const session = await accounts.openSession(account!);
    const stored = await api.server.store.db.all<Record<string, string>>('SELECT a.password_hash AS hash, s.token_hash AS token FROM console_accounts a JOIN console_sessions s USING (username)');
    expect(stored[0]!.hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(stored)).not.toContain('operator-password-1');
    expect(JSON.stringify(stored)).not.toContain(session.token);
    expect(await accounts.session(session.token)).toMatchObject({ username: 'olive', role: 'operator', csrfToken: session.csrfToken });
    clock.advance(8 * 60 * 60_000);
    expect(await accounts.session(session.token)).toBeNull();
  });

  it("sums the funnel over purposes per flow, locale, day and the device's site, and measures each clock offset from a signed observation", async () => {
    const kiosk = new TestKiosk({ clock });
    const other = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk, { placement: SITE });
    const otherCredential = await api.enrol(other);
    expect((await api.post('/v1/devices/heartbeat', heartbeat('shown', 3), credential)).status).toBe(200);
    expect((await api.post('/v1/devices/heartbeat', heartbeat('declined', 2), otherCredential)).status).toBe(200);
    expect(await api.server.store.health.funnelBySite()).toEqual([
      { day: '2026-03-01', flowId: 'atm', locale: 'ja', siteId: '', outcome: 'declined', count: 4 },
      { day: '2026-03-01', flowId: 'atm', locale: 'ja', siteId: 'shinjuku', outcome: 'shown', count: 6 },
    ]);
    expect(await api.server.store.health.funnelBySite('2026-03-02', '2026-03-31')).toEqual([]);

    kiosk.wallOffsetMs = -90_000; // the kiosk's wall clock is 90 s slow
    await api.ingest(credential, [kiosk.event(), await kiosk.observe(api.server.url, credential)]);
    const offsets = await api.server.store.health.clockOffsets();
    expect(offsets.get(kiosk.deviceId)?.offsetMs).toBeGreaterThan(85_000);
    expect(offsets.get(kiosk.deviceId)?.offsetMs).toBeLessThan(95_000);
    expect(offsets.has(other.deviceId)).toBe(false);
  });

  it('creates an account from the command line with the password read from standard input, never an argument, and disables it', { timeout: 60_000 }, async () => {
    const env = { ...process.env, ...configEnv({ dataDir: api.dataDir, ...(api.databaseUrl ? { databaseUrl: api.databaseUrl } : {}) }) };
    const cli = (args: string[], password: string) => {
      const child = run(process.execPath, ['--import', 'tsx', 'server/cli/console-account.ts', ...args], { env });
      child.child.stdin!.end(`${password}\n`);
      return child;
    };
    const { stdout } = await cli(['--username', 'carla', '--role', 'compliance'], 'compliance-password-1');
    expect(stdout).toBe('console account carla (compliance) created\n');
    expect(await api.server.store.consoleAccounts.authenticate('carla', 'compliance-password-1')).toEqual({ username: 'carla', role: 'compliance' });
    await expect(cli(['--username', 'short', '--role', 'operator'], 'short')).rejects.toMatchObject({ stderr: expect.stringContaining('Invalid password: (root): Too small: expected string to have >=12 characters') });
    await expect(cli(['--username', 'x', '--role', 'auditor'], 'compliance-password-1')).rejects.toMatchObject({ stderr: expect.stringContaining("argument 'auditor' is invalid") });

    const session = await api.server.store.consoleAccounts.openSession({ username: 'carla', role: 'compliance' });
    expect((await cli(['--username', 'carla', '--disable'], '')).stdout).toBe('console account carla disabled\n');
    expect(await api.server.store.consoleAccounts.session(session.token)).toBeNull();
    expect(await api.server.store.consoleAccounts.authenticate('carla', 'compliance-password-1')).toBeNull();
    await expect(cli(['--username', 'carla', '--disable'], '')).rejects.toMatchObject({ stderr: 'console account not changed: there is no enabled account named carla\n' });
  });
});
