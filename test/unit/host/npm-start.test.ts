import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { HostClient } from '../../../sdk/host-client/index.ts';
import { checkTypedToken } from '../../../shared/enrolment-token.ts';
import { NO_DISPLAY_LINE, openBridge, printedLaunchUrl } from '../../fixtures/bridge-session.ts';
import { acceptStep, stepOnScreen, whenScreenIsUp, type KioskCall } from '../../fixtures/offered-step.ts';
import { freePort } from '../../fixtures/free-port.ts';
import { demoProfile } from './host-fixture.ts';

let started: ChildProcess | undefined;
afterEach(async () => {
  if (!started || started.exitCode !== null) return;
  const exited = new Promise((resolve) => started!.once('exit', resolve));
  started.kill('SIGTERM');
  await exited;
});

/** `npm start` with the local reference API on, in a directory of its own; its printed lines, as they come. */
async function npmStart(env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-start-'));
  const apiPort = await freePort();
  started = spawn(process.execPath, ['--import', 'tsx', 'electron/start.ts'], {
    env: {
      ...process.env,
      KIOSK_API_URL: '',
      KIOSK_LOCAL_API: '',
      KIOSK_DATA_DIR: path.join(dir, 'kiosk'),
      CONSENT_API_DATA_DIR: path.join(dir, 'api'),
      CONSENT_API_PORT: String(apiPort),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<{ line: string; at: number }> = [];
  createInterface({ input: started.stdout! }).on('line', (line) => lines.push({ line, at: Date.now() }));
  const exited = new Promise<never>((_, reject) => started!.once('exit', (code) => reject(new Error(`npm start exited with ${code}`))));
  exited.catch(() => undefined); // stopping it after the test is no failure
  const printed = (pattern: RegExp) =>
    Promise.race([exited, expect.poll(() => lines.find(({ line }) => pattern.test(line)), { timeout: 30_000 }).toBeDefined()]).then(
      () => lines.find(({ line }) => pattern.test(line))!,
    );
  return { dir, apiPort, lines, printed };
}

/** The terminal's application offers the step; "the screen" (these bridge calls) shows it and the customer accepts. */
async function acceptOfferedStep(dir: string, call: KioskCall, flowId: string, purposeIds: string[]) {
  const host = await HostClient.connect({ credentialsFile: path.join(dir, 'kiosk', 'host-api.json'), retryForMs: 10_000 });
  const onScreen = stepOnScreen(call);
  await whenScreenIsUp(host);
  await host.beginSession({ locale: 'en' });
  const outcome = host.offer({ flowId });
  const captured = await acceptStep(call, demoProfile(), await onScreen, purposeIds, { typed: '090-1234-5678' });
  expect(captured.ok).toBe(true);
  expect(await outcome).toMatchObject({ outcome: 'accepted' });
  await host.close();
}

describe('npm start out of the box', () => {
  it('starts the reference API, enrols the kiosk and syncs a consent captured on the screen', async () => {
    const { dir, apiPort, printed, lines } = await npmStart({ DISPLAY: '', WAYLAND_DISPLAY: '' });
    const printedLine = (await printed(NO_DISPLAY_LINE)).line;
    expect(statSync(NO_DISPLAY_LINE.exec(printedLine)![2]!).mode & 0o777).toBe(0o600);
    type Answer = { ok: boolean; value: { sync: { state: string }; outbox: { pending: number } } };
    const bridge = await openBridge(printedLaunchUrl(printedLine));
    const call = (method: string, input: unknown) => bridge<Answer>(method, input);
    expect(lines.filter(({ line }) => line.includes('kiosk-launch='))).toEqual([]);
    await acceptOfferedStep(dir, call as KioskCall, 'airline', ['gate_changes']);

    await expect.poll(async () => (await call('getStatus', {})).value.outbox.pending, { timeout: 15_000 }).toBe(0);
    const { adminToken } = JSON.parse(readFileSync(path.join(dir, 'api', 'dev-tokens.json'), 'utf8')) as { adminToken: string };
    const check = await fetch(`http://127.0.0.1:${apiPort}/v1/consent/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ businessId: demoProfile().flows.find((flow) => flow.id === 'airline')!.business.id, phone: '+819012345678', purposeId: 'gate_changes' }),
    });
    expect(await check.json()).toMatchObject({ allowed: true, state: 'opted_in' });
  }, 60_000);

  it('syncs to the API started on PostgreSQL with npm run server:postgres, as docs/server.md tells a newcomer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-postgres-'));
    // as root the cluster below it belongs to the postgres user, who must pass through
    chmodSync(dir, 0o711);
    const apiPort = await freePort();
    const api = spawn(process.execPath, ['--import', 'tsx', 'server/cli/local-postgres.ts'], {
      env: { ...process.env, CONSENT_API_POSTGRES_DIR: path.join(dir, 'pg'), CONSENT_API_PORT: String(apiPort), DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stopped = new Promise((resolve) => api.once('exit', resolve));
    const apiLines: string[] = [];
    createInterface({ input: api.stdout! }).on('line', (line) => apiLines.push(line));
    createInterface({ input: api.stderr! }).on('line', (line) => apiLines.push(line));
    try {
      const listening = () => apiLines.find((line) => line.startsWith('consent API listening on')) ?? (api.exitCode === null ? undefined : apiLines.join('\n'));
      await expect.poll(listening, { timeout: 45_000 }).toMatch(/PostgreSQL postgres:\/\/consent@127\.0\.0\.1:\d+\/consent/);
      const enrolmentToken = readFileSync(path.join(dir, 'pg', 'enrolment-token'), 'utf8').trim();
      // one a technician could type at the terminal's keypad: 16 digits, the last a check digit
      expect(checkTypedToken(enrolmentToken)).toEqual({ ok: true, token: enrolmentToken });
      const kiosk = await npmStart({ DISPLAY: '', WAYLAND_DISPLAY: '', KIOSK_API_URL: `http://127.0.0.1:${apiPort}`, KIOSK_ENROLMENT_TOKEN: enrolmentToken });
      const bridge = await openBridge(printedLaunchUrl((await kiosk.printed(NO_DISPLAY_LINE)).line));
      const flow = demoProfile().flows.find((candidate) => candidate.id === 'atm')!;
      await acceptOfferedStep(kiosk.dir, bridge as KioskCall, flow.id, ['balance_alerts']);
      await expect.poll(async () => (await bridge<{ value: { outbox: { pending: number } } }>('getStatus', {})).value.outbox.pending, { timeout: 15_000 }).toBe(0);
      const { adminToken } = JSON.parse(readFileSync(path.join(dir, 'pg', 'api', 'dev-tokens.json'), 'utf8')) as { adminToken: string };
      const check = await fetch(`http://127.0.0.1:${apiPort}/v1/consent/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({ businessId: flow.business.id, phone: '+819012345678', purposeId: 'balance_alerts' }),
      });
      expect(await check.json()).toMatchObject({ allowed: true, state: 'opted_in' });
    } finally {
      // the script stops its cluster on SIGTERM
      api.kill('SIGTERM');
      await stopped;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  /**
   * With a display, where a stand-in takes Chromium's place: it only records the launch URL, so the test decides
   * when "the page" makes its first bridge call (real Chromium gives no such control; test/e2e runs that).
   */
  async function startWithSilentBrowser() {
    const browserDir = mkdtempSync(path.join(tmpdir(), 'kiosk-silent-browser-'));
    const argsFile = path.join(browserDir, 'args');
    const browser = path.join(browserDir, 'browser');
    writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nexec sleep 600\n`);
    chmodSync(browser, 0o755);
    const { printed, lines } = await npmStart({ DISPLAY: ':99', KIOSK_CHROMIUM: browser });
    await printed(/^Shell: Chromium \(/);
    await expect.poll(() => existsSync(argsFile)).toBe(true);
    const launchArg = readFileSync(argsFile, 'utf8').split('\n').find((arg) => arg.includes('#kiosk-launch='))!;
    return {
      launchUrl: new URL(launchArg.replace(/^--app=/, '')),
      apiListensAt: () => lines.find(({ line }) => line.startsWith('Consent API (reference, local) on'))?.at,
    };
  }

  it('starts the reference API only once the page has made its first bridge call', async () => {
    const kiosk = await startWithSilentBrowser();
    // Started at once, the API listens within about a second; here it has not even been started.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(kiosk.apiListensAt()).toBeUndefined();
    const call = await openBridge(kiosk.launchUrl);
    expect((await call<{ value: { sync: { state: string } } }>('getStatus')).value.sync.state).toBe('offline');
    const calledAt = Date.now();
    await expect.poll(kiosk.apiListensAt, { timeout: 15_000 }).toBeGreaterThanOrEqual(calledAt);
  }, 60_000);

  it('starts the reference API anyway when the page stays silent', async () => {
    const kiosk = await startWithSilentBrowser();
    await expect.poll(kiosk.apiListensAt, { timeout: 20_000 }).toBeDefined();
  }, 60_000);
});
