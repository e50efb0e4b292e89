import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { serveStatic } from '@hono/node-server/serve-static';
import { KioskFailure } from '../../shared/contract/errors.ts';
import type { Dispatch } from '../host/dispatch.ts';
import { securityHeaders } from '../host/content-security.ts';
import type { LoopbackListener } from '../host/loopback-listener.ts';
import { httpStatusFor, refuse, requireLoopbackHost, serveOnLoopback, tokensMatch } from '../host/loopback-server.ts';
import { bridgeLaunchUrl, newBridgeToken } from './launch-address.ts';
import { bridgeClientScript } from './bridge-client-bundle.ts';

export const TOKEN_HEADER = 'X-Kiosk-Token';
const MAX_BODY_BYTES = 64 * 1024;

export type BridgeOptions = {
  dispatch: Dispatch;
  /** The built renderer (`vite build` output). */
  rendererDir: string;
  /** Where to answer: a listener the browser was already started on (with its token), or a new one. */
  listener?: LoopbackListener;
  token?: string;
};

export type Bridge = {
  origin: string;
  /** What the browser opens: the app, with the launch token in the fragment. */
  launchUrl: string;
  token: string;
  close(): Promise<void>;
};

/**
 * The Chromium shell's half of the host: serves the renderer and answers POST /bridge/:method for the page it
 * served and nobody else — loopback only, right Host, right Origin, the per-launch token, JSON within size.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? newBridgeToken();
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

  app.use('/bridge/*', async (c, next) => {
    if (c.req.method !== 'POST') return refuse(c, 405, 'invalid_request', 'The bridge accepts only POST.');
    if (c.req.header('origin') !== origin) return refuse(c, 403, 'forbidden', 'Requests from this origin are refused.');
    if (!tokensMatch(c.req.header(TOKEN_HEADER), token)) return refuse(c, 401, 'unauthorized', 'The bridge token is missing or wrong.');
    if (!c.req.header('content-type')?.startsWith('application/json')) {
      return refuse(c, 415, 'invalid_request', 'The bridge accepts only application/json.');
    }
    await next();
  });
  app.use(
    '/bridge/*',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => refuse(c, 413, 'invalid_request', 'The request body is too large.') }),
  );
  app.post('/bridge/:method', async (c) => {
    let input: unknown;
    try {
      input = JSON.parse(await c.req.text());
    } catch {
      return refuse(c, 400, 'invalid_request', 'The request body is not valid JSON.');
    }
    const result = await options.dispatch(c.req.param('method'), input);
    return c.json(result, result.ok ? 200 : httpStatusFor(result.error.code));
  });

  const noStore = { 'Cache-Control': 'no-store' };
  app.get('/kiosk-bridge.js', async (c) => c.body(await clientScript, 200, { ...noStore, 'Content-Type': 'text/javascript; charset=utf-8' }));
  const serveIndex = (c: Context) =>
    c.html(withBridgeClient(readFileSync(indexFile, 'utf8')), 200, noStore);
  app.get('/', serveIndex);
  app.get('/index.html', serveIndex);
  app.use('/*', serveStatic({ root: rendererDir }));
  app.notFound((c) => refuse(c, 404, 'not_found', 'Not found.'));

  const server = await serveOnLoopback(app, options.listener);
  origin = server.origin;
  return { origin, token, launchUrl: bridgeLaunchUrl(origin, token), close: server.close };
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
