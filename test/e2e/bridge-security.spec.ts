import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { kioskMethods } from '../../electron/host/dispatch.ts';
import { callKiosk, expect, kioskMethodNames, test } from './kiosk-fixture.ts';

const capture = {
  kind: 'opt_in',
  flowId: 'airline',
  entryPoint: 'airline.after_boarding_pass',
  locale: 'en',
  consents: [{ purposeIds: ['gate_changes'], shownText: 'x' }],
  subject: { source: 'self_entered', phone: '+819011112222' },
};

/** Another web page on this machine, e.g. something a technician left running, or a page a browser was lured to. */
async function otherLocalPage(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://localhost:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('the app gets window.kiosk with every method and the launch code leaves the address bar', async ({ page, kiosk }) => {
  await kiosk.open(page);
  await expect.poll(() => page.url()).not.toContain('kiosk-launch');
  expect(await kioskMethodNames(page)).toEqual(kioskMethods);
  const status = await callKiosk(page, 'getStatus');
  expect(status).toMatchObject({ ok: true, value: { sync: { state: 'disabled' } } });

  await page.reload();
  expect(await callKiosk(page, 'getStatus')).toMatchObject({ ok: true });
});

test('a launch URL works once: whoever opens it again gets nothing, and the session it gave is revoked', async ({ browser, kiosk }) => {
  const launchUrl = kiosk.bridge.issueLaunchUrl();
  const first = await browser.newPage();
  await first.goto(launchUrl);
  expect(await callKiosk(first, 'getStatus')).toMatchObject({ ok: true });
  const second = await browser.newPage();
  await second.goto(launchUrl);
  expect(await callKiosk(second, 'captureConsent', capture)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  expect(await callKiosk(first, 'getStatus')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  await Promise.all([first.close(), second.close()]);
  expect(kiosk.ledger.status().outbox.pending).toBe(0);
});

test('a page opened without a launch code cannot use the bridge', async ({ browser, kiosk }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(kiosk.bridge.origin);
  expect(await callKiosk(page, 'captureConsent', capture)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  await context.close();
  expect(kiosk.ledger.status().outbox.pending).toBe(0);
});

test('another local web page cannot reach the bridge, even with the token', async ({ page, kiosk }) => {
  const elsewhere = await otherLocalPage();
  try {
    await page.goto(elsewhere.url);
    const attempts = await page.evaluate(
      async ({ origin, token, body }) => {
        const tries: RequestInit[] = [
          { headers: { 'content-type': 'application/json', 'x-kiosk-token': token } },
          { headers: { 'content-type': 'text/plain' }, mode: 'no-cors' },
        ];
        return Promise.all(
          tries.map((init) =>
            fetch(`${origin}/bridge/captureConsent`, { method: 'POST', body: JSON.stringify(body), ...init }).then(
              (response) => `status ${response.status}`,
              (error: Error) => `blocked: ${error.name}`,
            ),
          ),
        );
      },
      { origin: kiosk.bridge.origin, token: kiosk.bridge.token, body: capture },
    );
    // CORS stops the first before it is sent; the second reaches the bridge at most as an opaque, refused request.
    expect(attempts[0]).toMatch(/^blocked/);
    expect(attempts[1]).toMatch(/^blocked|^status 0$/);
    expect(kiosk.ledger.status().outbox.pending).toBe(0);
    expect(kiosk.ledger.funnelCounts()).toEqual([]);
  } finally {
    await elsewhere.close();
  }
});
