import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { HostClient } from '../../sdk/host-client/index.ts';
import { otherLocalPage } from '../fixtures/other-local-page.ts';
import { expect, test } from './kiosk-fixture.ts';
import { ledgerEvents } from './kiosk-screens.ts';

type Attempt = { opened: boolean; closeCode: number | null };

/** Every way a page could try: plain, the secret as a subprotocol, the secret in the query. None must open. */
function tryToConnect(page: Page, url: string, secret: string): Promise<Attempt[]> {
  return page.evaluate(
    async ({ address, key }) =>
      Promise.all(
        [() => new WebSocket(address), () => new WebSocket(address, [key]), () => new WebSocket(`${address}?secret=${key}`)].map(
          (open) =>
            new Promise<Attempt>((resolve) => {
              let opened = false;
              const socket = open();
              socket.onopen = () => {
                opened = true;
                socket.send(JSON.stringify({ header: { name: 'Common.Status', requestId: 1, type: 'command' }, payload: {} }));
              };
              socket.onclose = (event) => resolve({ opened, closeCode: event.code });
              // A connection the page's own CSP blocks errors without ever closing.
              socket.onerror = () => setTimeout(() => resolve({ opened, closeCode: null }), 500);
            }),
        ),
      ),
    { address: url, key: secret },
  );
}

test('a browser page cannot open the host API, not even with the secret, and the host application still can', async ({ page, kiosk }) => {
  const { url, secret } = JSON.parse(readFileSync(kiosk.hostApi.credentialsFile, 'utf8')) as { url: string; secret: string };
  const messages: string[] = [];
  page.on('console', (message) => messages.push(message.text()));
  const elsewhere = await otherLocalPage();
  try {
    await page.goto(elsewhere.url);
    expect(await tryToConnect(page, url, secret)).toEqual([
      { opened: false, closeCode: 1006 },
      { opened: false, closeCode: 1006 },
      { opened: false, closeCode: 1006 },
    ]);
    // Refused by the kiosk itself (the page's Origin header), not merely by the browser.
    expect(messages.filter((line) => line.includes('Unexpected response code: 403'))).toHaveLength(3);

    // The kiosk's own page is no way in either: its CSP (connect-src 'self') stops it first.
    await page.goto(kiosk.bridge.origin);
    expect((await tryToConnect(page, url, secret)).map((attempt) => attempt.opened)).toEqual([false, false, false]);
  } finally {
    await elsewhere.close();
  }
  const host = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
  kiosk.cleanUp(() => host.close());
  expect((await host.status()).apiVersion).toBe('1.0');
  expect(ledgerEvents(kiosk.ledger)).toEqual([]);
});
