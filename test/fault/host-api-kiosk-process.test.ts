import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { HostClient } from '../../sdk/host-client/index.ts';
import { openLedgerReader } from '../../electron/ledger/ledger.ts';
import { NO_DISPLAY_LINE, openBridge, printedLaunchUrl } from '../fixtures/bridge-session.ts';
import { acceptStep, stepOnScreen, whenScreenIsUp, type KioskCall } from '../fixtures/offered-step.ts';
import { demoProfile } from '../unit/host/host-fixture.ts';

const running: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  while (cleanups.length) await cleanups.pop()!();
});

/** The real kiosk process (what npm start runs), headless: it prints the launch URL a test then calls the bridge on. */
async function startKioskProcess(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; call: KioskCall; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'electron/start.ts'], {
    env: { ...process.env, KIOSK_DATA_DIR: dataDir, KIOSK_LOCAL_API: 'off', KIOSK_API_URL: '', DISPLAY: '', WAYLAND_DISPLAY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      if (NO_DISPLAY_LINE.test(text)) resolve(text);
    });
    child.once('exit', (code) => reject(new Error(`the kiosk exited with ${code}: ${stderr}`)));
  });
  const launchUrl = printedLaunchUrl(line);
  // A kiosk that could not start answers every page request itself: there is no session to open then.
  const bridge = await openBridge(launchUrl).catch(() => null);
  const call: KioskCall = (method, input) =>
    bridge
      ? bridge(method, input)
      : fetch(`${launchUrl.origin}/bridge/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: launchUrl.origin },
          body: JSON.stringify(input),
        }).then((response) => response.json() as ReturnType<KioskCall>);
  return { child, call, stderr: () => stderr };
}

function tempRoot(prefix: string): string {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

describe('a kiosk killed mid-step', () => {
  it('tells the host on reconnect that the step ended with the restart; nothing was recorded and the ledger verifies', async () => {
    const root = tempRoot('kiosk-killed-');
    const dataDir = path.join(root, 'kiosk');
    const credentialsFile = path.join(dataDir, 'host-api.json');

    const first = await startKioskProcess(dataDir);
    const bank = await HostClient.connect({ credentialsFile, retryForMs: 20_000 });
    const onScreen = stepOnScreen(first.call);
    await whenScreenIsUp(bank);
    const { sessionId } = await bank.beginSession({ locale: 'en', verifiedSubject: { phone: '+819012345678' } });
    const outcome = bank.offer({ flowId: 'atm' });
    const step = await onScreen;

    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    expect(await outcome).toMatchObject({ outcome: 'unknown', reason: 'connectionLost', sessionId });

    const second = await startKioskProcess(dataDir);
    const back = await HostClient.connect({ credentialsFile, retryForMs: 20_000 });
    cleanups.push(() => back.close());
    expect(await back.querySession(sessionId)).toMatchObject({
      active: false,
      lastOffer: { result: { outcome: 'failed', errorCode: 'kioskRestarted', sessionId, flowId: 'atm' } },
    });
    // The old step's handle and id mean nothing to the new kiosk.
    expect(await acceptStep(second.call, demoProfile(), step, ['balance_alerts'])).toMatchObject({ ok: false, error: { code: 'not_found' } });

    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
    const reader = openLedgerReader({ dataDir });
    try {
      expect(reader.status().outbox.pending).toBe(0);
      expect(reader.verify()).toMatchObject({ ok: true });
    } finally {
      reader.close();
    }
  }, 90_000);
});

describe('a kiosk that cannot start', () => {
  it('says why in one sentence, keeps the host API answering degraded with the reason, and fails every offer at once', async () => {
    const root = tempRoot('kiosk-no-profile-');
    const dataDir = path.join(root, 'kiosk');
    const kiosk = await startKioskProcess(dataDir, { KIOSK_PROFILE: path.join(root, 'missing.json') });
    expect(kiosk.stderr()).toMatch(
      /^Out of service: The profile .*missing\.json cannot be loaded: there is no such file, so this kiosk records nothing until a technician fixes it\.$/m,
    );

    const bank = await HostClient.connect({ credentialsFile: path.join(dataDir, 'host-api.json'), retryForMs: 20_000 });
    cleanups.push(() => bank.close());
    expect(await bank.status()).toMatchObject({ state: 'degraded', reasons: ['noProfile'], flows: [] });
    await expect(bank.beginSession({ locale: 'en' })).rejects.toMatchObject({ name: 'HostApiError', code: 'commandErrorCode' });
    const started = Date.now();
    expect(await bank.offer({ flowId: 'atm' })).toMatchObject({ outcome: 'failed', errorCode: 'noProfile' });
    expect(Date.now() - started).toBeLessThan(1_000);
    // Its own screen says the same sentence, out of service.
    expect(await kiosk.call('getProfile', {})).toMatchObject({ ok: false, error: { code: 'storage_unavailable', message: expect.stringContaining('missing.json') } });
    expect(kiosk.child.exitCode).toBeNull();
  }, 60_000);
});
