import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import type { Profile } from '../../shared/contract/profile.ts';
import { createHost, type Host, type HostOptions } from '../../electron/host/host.ts';
import { startBridge, type Bridge } from '../../electron/bridge/bridge-server.ts';
import { demoProfile, developmentPinPath, writeSignedProfile } from '../fixtures/signed-profile.ts';

export const rendererDir = path.resolve('out/renderer');
export { demoProfile, demoProfilePath } from '../fixtures/signed-profile.ts';

export type Kiosk = Host & {
  bridge: Bridge;
  dataDir: string;
  /** Opens the app as the Chromium shell does: a launch URL with its one-time code in the fragment (and an optional query). */
  open(page: Page, query?: Record<string, string>): Promise<void>;
  /** Something a test started against this kiosk (a host client, an example host) that goes when the kiosk goes. */
  cleanUp(stop: () => Promise<unknown>): void;
};

/**
 * The real host over a real SQLite ledger in a fresh directory, behind the real bridge on a free port; `sync` makes
 * a sync worker for the host's data dir (none by default).
 */
export async function startKiosk(
  edit: (profile: Profile) => void = () => {},
  sync?: (dataDir: string) => HostOptions['sync'],
  options: Partial<HostOptions> = {},
): Promise<Kiosk & { dispose(): Promise<void> }> {
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build:renderer` before the end-to-end tests.');
  }
  const root = mkdtempSync(path.join(tmpdir(), 'kiosk-e2e-'));
  const profile = demoProfile();
  edit(profile);
  const profilePath = path.join(root, 'profile.json');
  writeSignedProfile(profilePath, profile);
  const dataDir = path.join(root, 'data');
  const host = await createHost({ dataDir, profilePath, profileKeyPath: developmentPinPath, log: () => {}, ...(sync ? { sync: sync(dataDir) } : {}), ...options });
  const bridge = await startBridge({ dispatch: host.dispatch, rendererDir });
  const cleanUps: Array<() => Promise<unknown>> = [];
  return {
    ...host,
    bridge,
    dataDir,
    cleanUp: (stop) => void cleanUps.push(stop),
    open: async (page, query = {}) => {
      const url = new URL(bridge.issueLaunchUrl());
      url.search = new URLSearchParams(query).toString();
      await page.goto(url.toString());
    },
    dispose: async () => {
      for (const stop of cleanUps.reverse()) await stop().catch(() => undefined);
      await bridge.close();
      await host.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * One kiosk per test: each starts from an empty ledger, so assertions about "exactly one event" hold. `hostScreen`
 * is the host application's own screen (the bank's or airline's page), in a window of its own beside the kiosk's,
 * both shown at once as on a terminal: a second tab of the kiosk's window would be hidden, Chromium runs no
 * animation frames there, and each click in the hidden one waited 2 s for Playwright's stability check.
 */
export const test = base.extend<{ kiosk: Kiosk; hostScreen: Page }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  kiosk: async ({}, use) => {
    const kiosk = await startKiosk();
    await use(kiosk);
    await kiosk.dispose();
  },
  hostScreen: async ({ browser }, use) => {
    const context = await browser.newContext();
    await use(await context.newPage());
    await context.close();
  },
});

export { expect };

type PageWithKiosk = { kiosk: Record<string, (input: unknown) => Promise<unknown>> };

/** Calls `window.kiosk[method]` inside the page, as the renderer would. */
export function callKiosk(page: Page, method: string, input: unknown = {}): Promise<unknown> {
  return page.evaluate(([name, value]) => (globalThis as unknown as PageWithKiosk).kiosk[name]!(value), [method, input] as const);
}

export function kioskMethodNames(page: Page): Promise<string[]> {
  return page.evaluate(() => Object.keys((globalThis as unknown as PageWithKiosk).kiosk));
}
