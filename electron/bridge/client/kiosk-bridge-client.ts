/**
 * `window.kiosk` for the Chromium shell, served by the bridge as /kiosk-bridge.js ahead of the app's own script.
 * The per-launch token arrives in the launch URL's fragment (never sent over HTTP, so never in a log), is moved
 * to this tab's sessionStorage (same-origin only, survives the idle reset's reload) and removed from the address.
 */
import type { KioskApi, KioskMethod, KioskResult } from '../../../shared/contract/kiosk-api.ts';

/** Filled in from `kioskApi` when the bridge builds this script. */
declare const KIOSK_METHODS: readonly KioskMethod[];

type Page = {
  location: { hash: string; pathname: string; search: string };
  history: { replaceState(data: unknown, unused: string, url: string): void };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  kiosk?: KioskApi;
};

const page = globalThis as unknown as Page;
const TOKEN_KEY = 'kiosk-bridge-token';

function takeToken(): string {
  const match = /(?:^#|&)kiosk-token=([A-Za-z0-9_-]+)/.exec(page.location.hash);
  if (match?.[1]) {
    page.sessionStorage.setItem(TOKEN_KEY, match[1]);
    page.history.replaceState(null, '', page.location.pathname + page.location.search);
  }
  return page.sessionStorage.getItem(TOKEN_KEY) ?? '';
}

const token = takeToken();

const unreachable: KioskResult<never> = {
  ok: false,
  error: { code: 'storage_unavailable', message: 'The kiosk service is not responding.' },
};

async function call(method: KioskMethod, input: unknown): Promise<KioskResult<unknown>> {
  try {
    const response = await fetch(`/bridge/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Kiosk-Token': token },
      body: JSON.stringify(input ?? {}),
      credentials: 'omit',
    });
    return (await response.json()) as KioskResult<unknown>;
  } catch {
    return unreachable;
  }
}

const kiosk = Object.freeze(
  Object.fromEntries(KIOSK_METHODS.map((method) => [method, (input: unknown) => call(method, input)])),
) as KioskApi;
Object.defineProperty(page, 'kiosk', { value: kiosk, writable: false, configurable: false, enumerable: true });
