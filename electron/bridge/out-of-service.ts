import { createHash } from 'node:crypto';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { securityHeaders } from '../host/content-security.ts';
import type { LoopbackListener, RequestListener } from '../host/loopback-listener.ts';
import { refuse, requireLoopbackHost } from '../host/loopback-server.ts';
import { ledgerPath } from '../ledger/open-database.ts';

/**
 * When the ledger cannot be opened, restarting the kiosk cannot help: under systemd it would only loop. The host
 * stays up instead and the screen says, in one sentence, what a technician must fix. Other start-up failures (a bad
 * profile, a missing renderer) still stop the process with their own sentence.
 */
export function outOfServiceReason(error: unknown, dataDir: string): string | null {
  if (!(error instanceof KioskFailure)) return null;
  const file = ledgerPath(dataDir);
  if (error.code === 'ledger_corrupt') {
    return `The consent ledger ${file} is damaged or is not a ledger, so this kiosk records nothing until a technician restores or replaces it.`;
  }
  if (error.code === 'storage_unavailable') {
    return `The consent ledger ${file} cannot be used (${error.message.replace(/\.$/, '')}), so this kiosk records nothing until a technician fixes it.`;
  }
  return null;
}

const style = 'body{margin:0;display:grid;place-items:center;min-height:100vh;font:2rem/1.4 sans-serif;background:#222;color:#fff}main{max-width:40em;padding:2rem}h1{font-size:3rem}';
// The page's one inline style, allowed by its hash; nothing else (no script) may run on it.
const styleHash = createHash('sha256').update(style).digest('base64');

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

export function outOfServicePage(reason: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Out of service</title><style>${style}</style></head>
<body><main><h1>Out of service</h1><p role="alert">${escapeHtml(reason)}</p></main></body>
</html>
`;
}

/** Every page request gets the sentence; a bridge call from a page already loaded gets it as its error. */
function outOfServiceApp(reason: string): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(securityHeaders)) c.res.headers.set(name, value);
    c.res.headers.set('Content-Security-Policy', `default-src 'none'; style-src 'sha256-${styleHash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
  });
  app.use(requireLoopbackHost());
  app.all('/bridge/*', (c) => refuse(c, 503, 'storage_unavailable', reason));
  app.get('*', (c) => c.html(outOfServicePage(reason), 503, { 'Cache-Control': 'no-store' }));
  return app;
}

export type SwitchableListener = LoopbackListener & {
  /** From now on, every request is answered with the out-of-service page. */
  showOutOfService(reason: string): void;
};

/** The listener the bridge answers on, until the host says it cannot open its ledger. */
export function switchableListener(listener: LoopbackListener): SwitchableListener {
  let current: RequestListener | undefined;
  let answering = false;
  const answerWith = (next: RequestListener) => {
    current = next;
    if (answering) return;
    answering = true;
    listener.answerWith((request, response) => current!(request, response));
  };
  return {
    port: listener.port,
    origin: listener.origin,
    close: listener.close,
    answerWith,
    showOutOfService: (reason) => answerWith(getRequestListener(outOfServiceApp(reason).fetch)),
  };
}
