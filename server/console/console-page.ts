import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiApp } from '../app.ts';

/** Where `npm run build:console` writes the page (console/vite.config.ts). */
export const CONSOLE_BUILD_DIR = fileURLToPath(new URL('../../out/console/', import.meta.url));

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.woff2': 'font/woff2' };

/** Only the console's own files; no inline script or style, no other origin, never framed. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const PAGE_HEADERS = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

/**
 * The console page, built once by vite into out/console and served from there: index.html for every page of the
 * console (the page routes itself), hashed assets by exact name. Nothing is fetched from any other origin.
 */
export function registerConsolePage(app: ApiApp, dir = CONSOLE_BUILD_DIR): void {
  const index = join(dir, 'index.html');
  const page = (): Response =>
    existsSync(index)
      ? new Response(readFileSync(index), { headers: { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } })
      : new Response('The console is not built: run `npm run build:console`, then reload.\n', { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } });

  app.get('/console', (c) => c.redirect('/console/', 308));
  app.get('/console/assets/:name', (c) => {
    const name = c.req.param('name');
    const file = join(dir, 'assets', name);
    if (!/^[\w.-]+$/.test(name) || !TYPES[extname(name)] || !existsSync(file)) return c.notFound();
    return c.body(readFileSync(file), 200, { ...PAGE_HEADERS, 'content-type': TYPES[extname(name)]!, 'cache-control': 'public, max-age=31536000, immutable' });
  });
  app.get('/console/', page);
  app.get('/console/:page{[a-z-]+}', page);
}
