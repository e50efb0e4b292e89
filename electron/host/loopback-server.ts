import { timingSafeEqual } from 'node:crypto';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { KioskError, KioskErrorCode } from '../../shared/contract/errors.ts';
import { listenOnLoopback, type LoopbackListener } from './loopback-listener.ts';

export type LoopbackServer = Omit<LoopbackListener, 'answerWith'>;

/** Serves `app` on 127.0.0.1 only, on a port of its own or on a listener that is already listening. */
export async function serveOnLoopback(app: Hono, at: number | LoopbackListener = 0): Promise<LoopbackServer> {
  const listener = typeof at === 'number' ? await listenOnLoopback(at) : at;
  listener.answerWith(getRequestListener(app.fetch));
  return listener;
}

/** Constant-time comparison of a presented token or secret with the expected one. */
export function tokensMatch(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function refuse(c: Context, status: ContentfulStatusCode, code: KioskErrorCode, message: string) {
  const error: KioskError = { code, message };
  return c.json({ ok: false, error }, status);
}

/**
 * DNS rebinding defence: a page on evil.example that re-points its name at 127.0.0.1 still sends its own Host
 * header, so only requests addressed to the loopback name and this port get through.
 */
export function requireLoopbackHost(): MiddlewareHandler {
  return async (c, next) => {
    const port = (c.env as HttpBindings).incoming.socket.localPort;
    const host = c.req.header('host');
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return refuse(c, 421, 'forbidden', 'This endpoint answers only requests addressed to the loopback interface.');
    }
    await next();
  };
}

const statusByCode: Partial<Record<KioskErrorCode, ContentfulStatusCode>> = {
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  storage_full: 507,
  storage_unavailable: 503,
  ledger_corrupt: 500,
  internal: 500,
};

/** Request mistakes are 400s; the kiosk's own trouble is 5xx. */
export function httpStatusFor(code: KioskErrorCode): ContentfulStatusCode {
  return statusByCode[code] ?? 400;
}
