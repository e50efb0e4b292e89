/**
 * `window.kiosk` for the Chromium shell, served by the bridge as /kiosk-bridge.js ahead of the app's own script.
 * The launch URL's fragment holds a one-time launch code (never sent over HTTP, so never in a log); it is removed
 * from the address at once and exchanged for the session token, which stays in this tab's sessionStorage
 * (same-origin only, survives the idle reset's reload). Calls made before the exchange has answered wait for it.
 * The exchange's answer also carries the profile, which the page's first getProfile call is answered with.
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

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body ?? {}),
    credentials: 'omit',
  });

/** The session token, and the host's answer to getProfile when the session was opened with a launch code. */
type Session = { token: string; profile?: KioskResult<unknown> };

async function exchange(code: string): Promise<Session> {
  try {
    const answer = (await (await post('/bridge-session', { code })).json()) as KioskResult<Session>;
    if (!answer.ok) return { token: '' };
    page.sessionStorage.setItem(TOKEN_KEY, answer.value.token);
    return answer.value;
  } catch {
    return { token: '' };
  }
}

function openSession(): Promise<Session> {
  const match = /(?:^#|&)kiosk-launch=([A-Za-z0-9_-]+)/.exec(page.location.hash);
  if (!match?.[1]) return Promise.resolve({ token: page.sessionStorage.getItem(TOKEN_KEY) ?? '' });
  page.history.replaceState(null, '', page.location.pathname + page.location.search);
  return exchange(match[1]);
}

const session = openSession();
const token = session.then(({ token: value }) => value);
/** Answers the first getProfile only: a later one asks the host, which may have a new profile in force by then. */
let firstProfile: Promise<KioskResult<unknown> | undefined> | null = session.then(({ profile }) => profile);

const unreachable: KioskResult<never> = {
  ok: false,
  error: { code: 'storage_unavailable', message: 'The kiosk service is not responding.' },
};

async function call(method: KioskMethod, input: unknown): Promise<KioskResult<unknown>> {
  if (method === 'getProfile' && firstProfile) {
    const carried = await firstProfile;
    firstProfile = null;
    if (carried) return carried;
  }
  try {
    const response = await post(`/bridge/${method}`, input, { 'X-Kiosk-Token': await token });
    return (await response.json()) as KioskResult<unknown>;
  } catch {
    return unreachable;
  }
}

const kiosk = Object.freeze(
  Object.fromEntries(KIOSK_METHODS.map((method) => [method, (input: unknown) => call(method, input)])),
) as KioskApi;
Object.defineProperty(page, 'kiosk', { value: kiosk, writable: false, configurable: false, enumerable: true });
