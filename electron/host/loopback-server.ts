import { serve, type HttpBindings } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { KioskError, KioskErrorCode } from '../../shared/contract/errors.ts';

export type LoopbackServer = { port: number; origin: string; close(): Promise<void> };

/** Serves `app` on 127.0.0.1 only: nothing else on the network can reach the host's endpoints. */
export function serveOnLoopback(app: Hono, port = 0): Promise<LoopbackServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info: AddressInfo) => {
      resolve({
        port: info.port,
        origin: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          if ('closeAllConnections' in server) server.closeAllConnections();
        }),
      });
    });
    server.once('error', reject);
  });
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
