import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioskMethods } from '../../../electron/host/dispatch.ts';
import { startBridge, type Bridge } from '../../../electron/bridge/bridge-server.ts';
import { chromiumArgs, sandboxUnavailable, windowArea } from '../../../electron/bridge/launch-chromium.ts';
import { loopbackPeerUid } from '../../../electron/bridge/peer-user.ts';
import { startTestHost } from '../host/host-fixture.ts';

let host: Awaited<ReturnType<typeof startTestHost>>;
let bridge: Bridge;

beforeAll(async () => {
  host = await startTestHost();
  const rendererDir = path.join(host.dataDir, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head></html>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'export {};');
  bridge = await startBridge({ dispatch: host.dispatch, rendererDir });
});
afterAll(async () => {
  await bridge.close();
  await host.dispose();
});

const captureBody = JSON.stringify({
  kind: 'opt_in',
  flowId: 'airline',
  entryPoint: 'airline.after_boarding_pass',
  locale: 'en',
  consents: [{ purposeIds: ['gate_changes'], shownText: 'anything' }],
  subject: { source: 'self_entered', phone: '+819011112222' },
});

function post(method: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${bridge.origin}/bridge/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: bridge.origin, 'x-kiosk-token': bridge.token, ...headers },
    body,
  });
}

/** A GET with a Host header of the caller's choosing (raw HTTP: fetch will not forge one). */
function getWithHost(file: string, hostHeader: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: new URL(bridge.origin).port, path: file, headers: { host: hostHeader } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.once('error', reject);
  });
}

/** Raw HTTP, because fetch will not send a forged Host header. */
function postWithHost(hostHeader: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: new URL(bridge.origin).port,
        path: '/bridge/getStatus',
        method: 'POST',
        headers: { host: hostHeader, origin: bridge.origin, 'x-kiosk-token': bridge.token, 'content-type': 'application/json' },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.once('error', reject);
    request.end('{}');
  });
}

describe('the Chromium bridge', () => {
  it('serves the app with its window.kiosk script first and the strict security headers', async () => {
    const response = await fetch(`${bridge.origin}/`);
    const html = await response.text();
    expect(html.indexOf('<script defer src="/kiosk-bridge.js"></script>')).toBeLessThan(html.indexOf('/assets/app.js'));
    expect(html.indexOf('<script defer src="/kiosk-bridge.js"></script>')).toBeGreaterThan(0);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('permissions-policy')).toContain('camera=()');
    const asset = await fetch(`${bridge.origin}/assets/app.js`);
    expect(asset.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('serves the renderer\'s files as built, scripts as JavaScript (Chromium runs no module script of another type)', async () => {
    const asset = await fetch(`${bridge.origin}/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await asset.text()).toBe('export {};');
    expect((await fetch(`${bridge.origin}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${bridge.origin}/assets/app.js?v=2`)).status).toBe(200);
    expect((await fetch(`${bridge.origin}/assets/app.js`, { method: 'POST' })).status).not.toBe(200);
  });

  it("serves the page's files only to requests addressed to the loopback name and its port (DNS rebinding)", async () => {
    const port = new URL(bridge.origin).port;
    for (const file of ['/', '/index.html', '/assets/app.js', '/kiosk-bridge.js']) {
      expect(await getWithHost(file, `evil.example:${port}`), file).toEqual({ status: 421, body: expect.not.stringContaining('kiosk') });
      expect((await getWithHost(file, `127.0.0.1:${Number(port) + 1}`)).status, file).toBe(421);
      expect((await getWithHost(file, `localhost:${port}`)).status, file).toBe(200);
    }
  });

  it('builds window.kiosk from every method of the contract', async () => {
    const script = await (await fetch(`${bridge.origin}/kiosk-bridge.js`)).text();
    for (const method of kioskMethods) expect(script).toContain(`"${method}"`);
  });

  it('answers the page it served', async () => {
    const response = await post('getStatus', '{}');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, value: { outbox: { pending: 0 } } });
  });

  it('refuses every request that is not from the page it served, and records nothing', async () => {
    const refusals: Array<[string, Promise<Response>, number]> = [
      ['no token', post('captureConsent', captureBody, { 'x-kiosk-token': '' }), 401],
      ['wrong token', post('captureConsent', captureBody, { 'x-kiosk-token': 'x'.repeat(43) }), 401],
      ['another origin', post('captureConsent', captureBody, { origin: 'http://evil.example' }), 403],
      ['localhost origin', post('captureConsent', captureBody, { origin: `http://localhost:${new URL(bridge.origin).port}` }), 403],
      ['a form post', post('captureConsent', captureBody, { 'content-type': 'text/plain' }), 415],
      ['malformed JSON', post('captureConsent', '{"kind":'), 400],
      ['an unknown method', post('deleteEverything', '{}'), 404],
      ['a payload off-contract', post('captureConsent', JSON.stringify({ kind: 'opt_in' })), 400],
      ['an oversized body', post('captureConsent', JSON.stringify({ padding: 'x'.repeat(70_000) })), 413],
    ];
    for (const [what, response, status] of refusals) {
      const answer = await response;
      expect(answer.status, what).toBe(status);
      const body = (await answer.json()) as { ok: boolean; error: { code: string; message: string } };
      expect(body.ok, what).toBe(false);
      expect(body.error.message, what).not.toMatch(/\n\s+at /);
    }
    expect(await postWithHost('evil.example')).toBe(421);
    expect(await postWithHost(`localhost:${new URL(bridge.origin).port}`)).toBe(200);
    expect((await fetch(`${bridge.origin}/bridge/getStatus`)).status).toBe(405);
    expect(host.ledger.status().outbox.pending).toBe(0);
    expect(host.ledger.funnelCounts()).toEqual([]);
  });

  it('does not serve files outside the renderer', async () => {
    const response = await fetch(`${bridge.origin}/..%2f..%2fprofile.json`);
    expect(response.status).toBe(404);
  });
});

describe('the launch code', () => {
  const exchange = (target: Bridge, code: string | null, origin = target.origin) =>
    fetch(`${target.origin}/bridge-session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ code }),
    });
  const codeOf = (launchUrl: string) => new URLSearchParams(new URL(launchUrl).hash.slice(1)).get('kiosk-launch');
  const statusWith = (target: Bridge, token: string) =>
    fetch(`${target.origin}/bridge/getStatus`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: target.origin, 'x-kiosk-token': token },
      body: '{}',
    }).then((response) => response.status);

  async function withBridge(options: Partial<Parameters<typeof startBridge>[0]>, run: (target: Bridge) => Promise<void>) {
    const target = await startBridge({ dispatch: host.dispatch, rendererDir: path.join(host.dataDir, 'renderer'), log: () => {}, ...options });
    try {
      await run(target);
    } finally {
      await target.close();
    }
  }

  it('is exchanged once for the session token, which then opens the bridge, and the profile the page asks for first', async () => {
    const code = codeOf(bridge.issueLaunchUrl());
    const answer = (await (await exchange(bridge, code)).json()) as { ok: boolean; value: { token: string } };
    expect(answer).toEqual({ ok: true, value: { token: bridge.token, profile: await host.dispatch('getProfile', {}) } });
    expect(await statusWith(bridge, answer.value.token)).toBe(200);
  });

  it('refuses a code from another origin, an unknown code and an expired one, and gives no token', async () => {
    let clock = 0;
    await withBridge({ launchCode: 'C'.repeat(43), now: () => clock }, async (target) => {
      expect((await exchange(target, 'C'.repeat(43), 'http://evil.example')).status).toBe(403);
      expect((await exchange(target, 'D'.repeat(43))).status).toBe(401);
      clock = 11 * 60_000;
      const expired = await exchange(target, 'C'.repeat(43));
      expect(expired.status).toBe(401);
      expect(JSON.stringify(await expired.json())).not.toContain(target.token);
    });
  });

  it('revokes the session and tells the shell when a spent code comes back: someone raced the page for it', async () => {
    let reused = 0;
    await withBridge({ launchCode: 'E'.repeat(43), onLaunchCodeReused: () => (reused += 1) }, async (target) => {
      const first = (await (await exchange(target, 'E'.repeat(43))).json()) as { value: { token: string } };
      expect(await statusWith(target, first.value.token)).toBe(200);
      expect((await exchange(target, 'E'.repeat(43))).status).toBe(401);
      expect(reused).toBe(1);
      expect(await statusWith(target, first.value.token)).toBe(401);
    });
  });

  it('is refused, with the token, to a connection another local user owns', async () => {
    await withBridge({ launchCode: 'F'.repeat(43), peerUid: () => (process.getuid?.() ?? 0) + 1 }, async (target) => {
      expect((await exchange(target, 'F'.repeat(43))).status).toBe(403);
      expect(await statusWith(target, target.token)).toBe(403);
    });
  });

  it.runIf(process.platform === 'linux')('knows the kiosk user owns its own loopback connections (the kernel socket table)', async () => {
    const server = http.createServer((request, response) => response.end(String(loopbackPeerUid(request.socket))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe(String(process.getuid!()));
    } finally {
      server.close();
    }
  });
});

describe('the Chromium launcher', () => {
  it('opens the app in a fresh profile without background networking, in kiosk mode when asked', () => {
    const app = chromiumArgs('http://127.0.0.1:1/#kiosk-launch=t', { kiosk: false, userDataDir: '/tmp/p', gpu: true });
    expect(app).toContain('--app=http://127.0.0.1:1/#kiosk-launch=t');
    expect(app).toEqual(expect.arrayContaining(['--user-data-dir=/tmp/p', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']));
    const kiosk = chromiumArgs('http://127.0.0.1:1/', { kiosk: true, userDataDir: '/tmp/p', gpu: true });
    expect(kiosk).toContain('--kiosk');
    expect(kiosk.at(-1)).toBe('http://127.0.0.1:1/');
  });

  it('draws on the CPU from the start on a machine without a GPU', () => {
    const args = (gpu: boolean) => chromiumArgs('http://127.0.0.1:1/', { kiosk: false, userDataDir: '/tmp/p', gpu });
    expect(args(false)).toContain('--disable-gpu');
    expect(args(true)).not.toContain('--disable-gpu');
  });

  it('gives the window the display\'s size at its top-left corner, since without a window manager nothing maximises it', () => {
    const args = chromiumArgs('http://127.0.0.1:1/', { kiosk: true, userDataDir: '/tmp/p', gpu: true, screen: { x: 0, y: 0, width: 1080, height: 1920 } });
    expect(args).toEqual(expect.arrayContaining(['--window-position=0,0', '--window-size=1080,1920']));
    expect(chromiumArgs('http://127.0.0.1:1/', { kiosk: true, userDataDir: '/tmp/p', gpu: true, screen: null }).join(' ')).not.toMatch(/--window-/);
  });

  it('puts the window where KIOSK_WINDOW_AREA says: npm start leaves the kiosk the screen beside an example host on bare X', () => {
    expect(windowArea({ KIOSK_WINDOW_AREA: '0,640,1080x1280' })).toEqual({ x: 0, y: 640, width: 1080, height: 1280 });
    expect(windowArea({ KIOSK_WINDOW_AREA: 'anywhere' })).toBeNull();
  });

  it('turns the sandbox off only as root or where user namespaces are disabled, and says why', () => {
    const settings = (values: Record<string, string>) => (file: string) => values[file] ?? null;
    expect(sandboxUnavailable(0, settings({}))).toBe('running as root');
    expect(sandboxUnavailable(1000, settings({}))).toBeNull();
    expect(sandboxUnavailable(1000, settings({ '/proc/sys/user/max_user_namespaces': '15000' }))).toBeNull();
    expect(sandboxUnavailable(1000, settings({ '/proc/sys/user/max_user_namespaces': '0' }))).toMatch(/user namespaces are disabled/);
    expect(sandboxUnavailable(1000, settings({ '/proc/sys/kernel/unprivileged_userns_clone': '0' }))).toMatch(/user namespaces are disabled/);
    expect(chromiumArgs('http://127.0.0.1:1/', { kiosk: true, userDataDir: '/tmp/p', gpu: true, sandbox: false })).toContain('--no-sandbox');
    expect(chromiumArgs('http://127.0.0.1:1/', { kiosk: true, userDataDir: '/tmp/p', gpu: true, sandbox: true })).not.toContain('--no-sandbox');
  });
});
