import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';
import { securityHeaders } from '../host/content-security.ts';

export const APP_SCHEME = 'kiosk';
export const APP_HOST = 'app';
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
};

/** Must run before `app.whenReady()`: a standard, secure scheme gets an origin, fetch and a normal CSP. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * Serves the built renderer from kiosk://app/ with the same security headers as the Chromium bridge. Unlike
 * file://, the app gets its own origin and nothing outside `rendererDir` can be read.
 */
export function serveRenderer(rendererDir: string): void {
  const rootDir = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.resolve(rootDir, `.${relative}`);
    if (url.host !== APP_HOST || !file.startsWith(rootDir + path.sep)) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      const type = contentTypes[path.extname(file)] ?? 'application/octet-stream';
      return new Response(body, { headers: { ...securityHeaders, 'Content-Type': type } });
    } catch {
      return new Response('Not found', { status: 404, headers: securityHeaders });
    }
  });
}
