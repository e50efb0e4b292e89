import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_DISPLAY_LINE, printedLaunchUrl } from '../../fixtures/bridge-session.ts';

let started: ChildProcess | undefined;
afterEach(async () => {
  if (!started || started.exitCode !== null) return;
  const exited = once(started, 'exit');
  started.kill('SIGKILL');
  await exited;
});

/** The Chromium shell without a display (it prints its URL), on a data directory whose ledger is `ledger`. */
function startKiosk(files: { ledger?: Buffer; profile?: string }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-out-of-service-'));
  const dataDir = path.join(dir, 'kiosk');
  mkdirSync(dataDir);
  if (files.ledger) writeFileSync(path.join(dataDir, 'ledger.sqlite'), files.ledger);
  if (files.profile) writeFileSync(path.join(dir, 'profile.json'), files.profile);
  started = spawn(process.execPath, ['--import', 'tsx', 'electron/start.ts'], {
    env: {
      ...process.env,
      DISPLAY: '',
      WAYLAND_DISPLAY: '',
      KIOSK_LOCAL_API: 'off',
      KIOSK_API_URL: '',
      KIOSK_DATA_DIR: dataDir,
      ...(files.profile ? { KIOSK_PROFILE: path.join(dir, 'profile.json') } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { dataDir, child: started, output: () => output };
}

const garbage = Buffer.alloc(8192, 'not a SQLite database, just a damaged file. ');

describe('a damaged ledger', () => {
  it('puts the kiosk out of service with one sentence, on the page and in the log, and keeps it running', async () => {
    const kiosk = startKiosk({ ledger: garbage });
    await expect.poll(kiosk.output, { timeout: 20_000 }).toMatch(NO_DISPLAY_LINE);
    const launchUrl = printedLaunchUrl(kiosk.output());
    const sentence = `The consent ledger ${path.join(kiosk.dataDir, 'ledger.sqlite')} is damaged or is not a ledger, so this kiosk records nothing until a technician restores or replaces it.`;
    expect(kiosk.output()).toContain(`Out of service: ${sentence}\n`);

    const page = await fetch(launchUrl.origin + '/');
    expect(page.status).toBe(503);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-/);
    const html = await page.text();
    expect(html).toContain('<h1>Out of service</h1>');
    expect(html).toContain(`<p role="alert">${sentence}</p>`);
    expect(html).not.toContain('kiosk-bridge.js');

    // A page that had loaded the app before the ledger failed gets the sentence as its bridge error.
    const call = await fetch(`${launchUrl.origin}/bridge/getProfile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: launchUrl.origin },
      body: '{}',
    });
    expect(call.status).toBe(503);
    expect(await call.json()).toEqual({ ok: false, error: { code: 'storage_unavailable', message: sentence } });

    // No exit, so systemd has nothing to restart: the screen stays on the sentence until a technician comes.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(kiosk.child.exitCode).toBeNull();
    const exited = once(kiosk.child, 'exit');
    kiosk.child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  }, 40_000);

  it('says what is wrong with the profile first, when the profile is wrong too, and stays up as well', async () => {
    const kiosk = startKiosk({ ledger: garbage, profile: '{"flows": "not a profile"}' });
    await expect.poll(kiosk.output, { timeout: 20_000 }).toMatch(/^Out of service: The profile .* is not signed: this terminal loads only profiles signed with the organisation's provisioning key \(kioskctl profile sign\), so this kiosk records nothing until a technician fixes it\.$/m);
    expect(kiosk.output()).not.toMatch(/damaged or is not a ledger/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(kiosk.child.exitCode).toBeNull();
  }, 40_000);
});
