import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pageCss, pageScript } from './page-assets.ts';

export type PageAction = { name: string; fields: URLSearchParams };

export type HostPageOptions = {
  /** What the header bar says, e.g. "Sakura Bank ATM (example host application)". */
  brand: string;
  port?: number;
  /** The page's main content for the host's state now (HTML). */
  render(): string;
  onAction(action: PageAction): void | Promise<void>;
};

export type HostPage = { url: string; refresh(): void; close(): Promise<void> };

const MAX_FORM_BYTES = 4096;
const securityHeaders = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A button that posts `action` (and any hidden `fields`) back to the host page. */
export function actionButton(action: string, label: string, options: { primary?: boolean; pressed?: boolean; fields?: Record<string, string> } = {}): string {
  const hidden = Object.entries(options.fields ?? {})
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const pressed = options.pressed === undefined ? '' : ` aria-pressed="${options.pressed}"`;
  return `<form method="post" action="/action"><input type="hidden" name="action" value="${escapeHtml(action)}">${hidden}<button type="submit"${options.primary ? ' class="primary"' : ''}${pressed}>${escapeHtml(label)}</button></form>`;
}

/** A screen of the host's page: its heading, then its content. */
export const screenHtml = (title: string, body: string) => `<h1>${escapeHtml(title)}</h1>${body}`;

export const actionRow = (...buttons: string[]) => `<div class="actions">${buttons.join('')}</div>`;

/** The host's language choice, handed to the kiosk with the session so the step opens in it. */
export const languageButtons = (locale: string) =>
  actionRow(
    actionButton('language', 'English', { pressed: locale === 'en', fields: { locale: 'en' } }),
    actionButton('language', '日本語', { pressed: locale === 'ja', fields: { locale: 'ja' } }),
  );

export const receiptHtml = (lines: string[]) => `<div class="receipt" role="status">${escapeHtml(lines.join('\n'))}</div>`;

function readForm(request: IncomingMessage): Promise<URLSearchParams | null> {
  return new Promise((resolve) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_FORM_BYTES) request.destroy();
    });
    request.on('end', () => resolve(new URLSearchParams(body)));
    request.on('error', () => resolve(null));
    request.on('close', () => resolve(null));
  });
}

/**
 * The example host's own screen: a small server-rendered page on 127.0.0.1. Every button posts an action; a page
 * left waiting (for the opt-in's outcome) reloads itself when the state changes.
 */
export async function startHostPage(options: HostPageOptions): Promise<HostPage> {
  let version = 1;
  let port = 0;
  const waiting = new Set<(version: number) => void>();

  const send = (response: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': type, ...securityHeaders, ...headers });
    response.end(body);
  };

  const page = () =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(options.brand)}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/host-page.css">` +
    `<script defer src="/host-page.js"></script></head><body data-version="${version}">` +
    `<header><span>${escapeHtml(options.brand)}</span><span>example host application</span></header><main>${options.render()}</main></body></html>`;

  const server = createServer((request, response) => {
    void (async () => {
      if (request.headers.host !== `127.0.0.1:${port}` && request.headers.host !== `localhost:${port}`) {
        return send(response, 421, 'text/plain', 'Misdirected request');
      }
      const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
      if (request.method === 'GET' && url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', page());
      if (request.method === 'GET' && url.pathname === '/host-page.css') return send(response, 200, 'text/css', pageCss);
      if (request.method === 'GET' && url.pathname === '/host-page.js') return send(response, 200, 'text/javascript', pageScript);
      if (request.method === 'GET' && url.pathname === '/changes') {
        const since = Number(url.searchParams.get('since'));
        if (since !== version) return send(response, 200, 'application/json', JSON.stringify({ version }));
        const wake = (now: number) => {
          clearTimeout(timer);
          waiting.delete(wake);
          send(response, 200, 'application/json', JSON.stringify({ version: now }));
        };
        const timer = setTimeout(() => wake(version), 20_000);
        waiting.add(wake);
        return;
      }
      if (request.method === 'POST' && url.pathname === '/action') {
        const fields = await readForm(request);
        const name = fields?.get('action');
        if (!fields || !name) return send(response, 400, 'text/plain', 'Bad form');
        await options.onAction({ name, fields });
        version += 1;
        return send(response, 303, 'text/plain', '', { location: '/' });
      }
      send(response, 404, 'text/plain', 'Not found');
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    refresh: () => {
      version += 1;
      for (const wake of [...waiting]) wake(version);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
