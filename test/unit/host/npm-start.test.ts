import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { renderConsentSentence } from '../../../shared/wording.ts';
import { freePort } from '../../fixtures/free-port.ts';
import { demoProfile } from './host-fixture.ts';

let started: ChildProcess | undefined;
afterEach(async () => {
  if (!started || started.exitCode !== null) return;
  const exited = new Promise((resolve) => started!.once('exit', resolve));
  started.kill('SIGTERM');
  await exited;
});

describe('npm start out of the box', () => {
  it('starts the reference API, enrols the kiosk and syncs a consent captured on the screen', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-start-'));
    const apiPort = await freePort();
    started = spawn(process.execPath, ['--import', 'tsx', 'electron/start.ts'], {
      env: {
        ...process.env,
        DISPLAY: '',
        WAYLAND_DISPLAY: '',
        KIOSK_API_URL: '',
        KIOSK_LOCAL_API: '',
        KIOSK_DATA_DIR: path.join(dir, 'kiosk'),
        CONSENT_API_DATA_DIR: path.join(dir, 'api'),
        CONSENT_API_PORT: String(apiPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const launchUrl = await new Promise<URL>((resolve, reject) => {
      createInterface({ input: started!.stdout! }).on('line', (line) => {
        const match = /(http:\/\/127\.0\.0\.1:\d+\/#kiosk-token=\S+)/.exec(line);
        if (match?.[1]) resolve(new URL(match[1]));
      });
      started!.once('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
    });

    const token = new URLSearchParams(launchUrl.hash.slice(1)).get('kiosk-token')!;
    const call = async (method: string, input: unknown) => {
      const response = await fetch(`${launchUrl.origin}/bridge/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-kiosk-token': token, origin: launchUrl.origin },
        body: JSON.stringify(input),
      });
      return (await response.json()) as { ok: boolean; value: { sync: { state: string }; outbox: { pending: number } } };
    };
    const flow = demoProfile().flows.find((candidate) => candidate.id === 'airline')!;
    const sentence = renderConsentSentence(flow, 'opt_in', ['gate_changes'], 'en');
    const captured = await call('captureConsent', {
      kind: 'opt_in',
      flowId: flow.id,
      entryPoint: flow.entryPoint,
      locale: 'en',
      consents: [{ purposeIds: ['gate_changes'], shownText: sentence.text }],
      subject: { source: 'self_entered', phone: '090-1234-5678', country: 'JP' },
    });
    expect(captured.ok).toBe(true);

    await expect.poll(async () => (await call('getStatus', {})).value.outbox.pending, { timeout: 15_000 }).toBe(0);
    const { adminToken } = JSON.parse(readFileSync(path.join(dir, 'api', 'dev-tokens.json'), 'utf8')) as { adminToken: string };
    const check = await fetch(`http://127.0.0.1:${apiPort}/v1/consent/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ phone: '+819012345678', purposeId: 'gate_changes' }),
    });
    expect(await check.json()).toMatchObject({ allowed: true, state: 'opted_in' });
  }, 60_000);
});
