import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { getMimeType } from 'hono/utils/mime';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { ApiFailure } from '../../server/http/api-failure.ts';
import { readBody } from '../../server/http/read-body.ts';
import type { Dispatch } from '../host/dispatch.ts';
import { securityHeaders } from '../host/content-security.ts';
import type { LoopbackListener } from '../host/loopback-listener.ts';
import { httpStatusFor, refuse, requireLoopbackHost, serveOnLoopback, tokensMatch } from '../host/loopback-server.ts';
import { bridgeLaunchUrl, newBridgeSecret } from './launch-address.ts';
import { bridgeClientScript } from './bridge-client-bundle.ts';
import { loopbackPeerUid } from './peer-user.ts';

export const TOKEN_HEADER = 'X-Kiosk-Token';
export const SESSION_PATH = '/bridge-session';
const MAX_BODY_BYTES = 64 * 1024;

/** Long enough for a slow start (or a developer opening the no-display URL), short enough not to lie around. */
export const LAUNCH_CODE_TTL_MS = 10 * 60_000;

export type BridgeOptions = {
  dispatch: Dispatch;
  /** The built renderer (`vite build` output). */
  rendererDir: string;
  /** Where to answer: a listener the browser was already started on (with its launch code), or a new one. */
  listener?: LoopbackListener;
  /** The one-time code the browser was started with (electron/start.ts). */
  launchCode?: string;
  /**
   * A spent launch code came back: another process read it (from Chromium's command line) and raced the kiosk's
   * page. The session it got is already revoked; the shell should start over with a new code.
   */
  onLaunchCodeReused?: () => void;
  log?: (line: string) => void;
  /** Who owns the client end of a connection; the kernel's socket table unless a test says otherwise. */
  peerUid?: (socket: Socket) => number | null | undefined;
  now?: () => number;
};

export type Bridge = {
  origin: string;
  /** The session token the page gets for a launch code; in memory only, never printed. */
  readonly token: string;
  /** A new launch URL with its own one-time code (the shell's first one is `options.launchCode`). */
  issueLaunchUrl(): string;
  close(): Promise<void>;
};

/**
 * The Chromium shell's half of the host: serves the renderer and answers POST /bridge/:method for the page it
 * served and nobody else — loopback only, the kiosk's own user, right Host, right Origin, the session token, JSON
 * within size. The page gets the token by exchanging the one-time launch code of its URL (POST /bridge-session).
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const now = options.now ?? Date.now;
  const log = options.log ?? console.error;
  let token = newBridgeSecret();
  const launchCodes = new Map<string, number>();
  const spentCodes = new Set<string>();
  const acceptOnce = (code: string) => launchCodes.set(code, now() + LAUNCH_CODE_TTL_MS);
  if (options.launchCode) acceptOnce(options.launchCode);
  const peerIsKioskUser = sameUserCheck(options.peerUid ?? loopbackPeerUid);
  const rendererDir = path.resolve(options.rendererDir);
  const indexFile = path.join(rendererDir, 'index.html');
  if (!existsSync(indexFile)) {
    throw new KioskFailure('not_found', `The renderer is not built: ${indexFile} is missing (run npm run build:renderer).`);
  }
  // Built while the browser starts; the page's first request for it waits if need be.
  const clientScript = bridgeClientScript();
  clientScript.catch(() => undefined); // a failed build fails the request for the script, not the process
  let origin = '';

  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(securityHeaders)) c.res.headers.set(name, value);
  });
  app.use(requireLoopbackHost());

  const fromKioskPage = (c: Context) => {
    if (c.req.method !== 'POST') return refuse(c, 405, 'invalid_request', 'The bridge accepts only POST.');
    if (!peerIsKioskUser((c.env as HttpBindings).incoming.socket)) {
      return refuse(c, 403, 'forbidden', "Only the kiosk's own user may call the bridge.");
    }
    if (c.req.header('origin') !== origin) return refuse(c, 403, 'forbidden', 'Requests from this origin are refused.');
    if (!c.req.header('content-type')?.startsWith('application/json')) {
      return refuse(c, 415, 'invalid_request', 'The bridge accepts only application/json.');
    }
    return null;
  };
  // The body straight from Node's request, as the reference API reads its own (server/http/read-body.ts): hono's
  // body limit and c.req.json() build a Fetch Request and read it through a web stream, which on the page's first
  // call (the launch code's exchange, on the way to the first screen) cost the host ≈ 25 ms of CPU.
  const bodyText = async (c: Context): Promise<string | null> => {
    try {
      return (await readBody(c, MAX_BODY_BYTES)).toString('utf8');
    } catch (error) {
      if (error instanceof ApiFailure) return null;
      throw error;
    }
  };
  const tooLarge = (c: Context) => refuse(c, 413, 'invalid_request', 'The request body is too large.');
  const parsedOrNull = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  };

  app.use(SESSION_PATH, async (c, next) => (fromKioskPage(c) ?? next()));
  app.post(SESSION_PATH, async (c) => {
    const text = await bodyText(c);
    if (text === null) return tooLarge(c);
    const code = (parsedOrNull(text) as { code?: unknown } | null)?.code;
    const expiresAt = typeof code === 'string' ? launchCodes.get(code) : undefined;
    if (typeof code === 'string' && expiresAt !== undefined) {
      launchCodes.delete(code);
      spentCodes.add(code);
      if (expiresAt >= now()) {
        // The page's first call is always getProfile, and nothing can be drawn before its answer: it comes with the
        // token, which saves the first screen a round trip to a host that is still starting.
        const profile = await options.dispatch('getProfile', {});
        return c.json({ ok: true, value: { token, profile } }, 200, { 'Cache-Control': 'no-store' });
      }
    } else if (typeof code === 'string' && spentCodes.has(code)) {
      token = newBridgeSecret();
      log('bridge: a spent launch code was presented again; the session given for it is revoked');
      options.onLaunchCodeReused?.();
    }
    return refuse(c, 401, 'unauthorized', 'The launch code is unknown, spent or expired.');
  });

  app.use('/bridge/*', async (c, next) => {
    const refused = fromKioskPage(c);
    if (refused) return refused;
    if (!tokensMatch(c.req.header(TOKEN_HEADER), token)) return refuse(c, 401, 'unauthorized', 'The bridge token is missing or wrong.');
    await next();
  });
  app.post('/bridge/:method', async (c) => {
    const text = await bodyText(c);
    if (text === null) return tooLarge(c);
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return refuse(c, 400, 'invalid_request', 'The request body is not valid JSON.');
    }
    const result = await options.dispatch(c.req.param('method'), input);
    return c.json(result, result.ok ? 200 : httpStatusFor(result.error.code));
  });

  const noStore = { 'Cache-Control': 'no-store' };
  app.get('/kiosk-bridge.js', async (c) => c.body(await clientScript, 200, { ...noStore, 'Content-Type': 'text/javascript; charset=utf-8' }));
  const indexHtml = withBridgeClient(readFileSync(indexFile, 'utf8'));
  const serveIndex = (c: Context) => c.html(indexHtml, 200, noStore);
  app.get('/', serveIndex);
  app.get('/index.html', serveIndex);
  const files = rendererFiles(rendererDir);
  app.get('/*', (c) => {
    const file = files.get(c.req.path);
    return file ? c.body(file.bytes, 200, { 'Content-Type': file.type }) : c.notFound();
  });
  app.notFound((c) => refuse(c, 404, 'not_found', 'Not found.'));

  const server = await serveOnLoopback(app, options.listener);
  origin = server.origin;
  return {
    origin,
    get token() {
      return token;
    },
    issueLaunchUrl: () => {
      const code = newBridgeSecret();
      acceptOnce(code);
      return bridgeLaunchUrl(origin, code);
    },
    close: server.close,
  };
}

/**
 * The built renderer, read once when the bridge starts: the page's first requests arrive while the host is still
 * starting, and a file from memory answers them at once where a file stream (serveStatic) took 100–150 ms for the
 * first script on a cold process. Only files that exist are served, so no path can reach outside the build.
 */
function rendererFiles(rendererDir: string): Map<string, { bytes: Uint8Array<ArrayBuffer>; type: string }> {
  const files = new Map<string, { bytes: Uint8Array<ArrayBuffer>; type: string }>();
  for (const entry of readdirSync(rendererDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const urlPath = `/${path.relative(rendererDir, file).split(path.sep).join('/')}`;
    files.set(urlPath, { bytes: new Uint8Array(readFileSync(file)), type: getMimeType(entry.name) ?? 'application/octet-stream' });
  }
  return files;
}

/**
 * Other local users can read Chromium's command line (and so a launch code) but never own the kiosk user's
 * sockets. Root may connect: it can read the kiosk's data and memory anyway. Where the kernel has no socket table
 * to ask (not Linux), the token and Origin checks stand alone.
 */
function sameUserCheck(peerUid: (socket: Socket) => number | null | undefined): (socket: Socket) => boolean {
  const ownUid = process.getuid?.();
  const checked = new WeakMap<Socket, boolean>();
  return (socket) => {
    if (ownUid === undefined) return true;
    let same = checked.get(socket);
    if (same === undefined) {
      const uid = peerUid(socket);
      same = uid === undefined || uid === ownUid || uid === 0;
      checked.set(socket, same);
    }
    return same;
  };
}

/**
 * The renderer does not know which shell runs it; this shell's `window.kiosk` goes in ahead of the app. Deferred,
 * so the browser fetches it and the app's module side by side; deferred and module scripts still run in document
 * order, this one first.
 */
export function withBridgeClient(html: string): string {
  const tag = '<script defer src="/kiosk-bridge.js"></script>';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => `${head}\n    ${tag}`) : `${tag}\n${html}`;
}
