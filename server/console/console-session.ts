import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { z } from 'zod';
import type { ConsoleRole } from '../../shared/contract/console.ts';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { ApiFailure } from '../http/api-failure.ts';
import type { ConsoleAction, ConsoleAudit } from '../store/console-audit.ts';
import { SESSION_MS, type OpenSession } from '../store/console-accounts.ts';

export const SESSION_COOKIE = 'console_session';
const COOKIE_PATH = '/console';

/** What a console route notes for the audit log; the middleware writes it once the answer is known. */
export type AuditNote = Pick<ConsoleAction, 'action' | 'target' | 'detail'> & Partial<Pick<ConsoleAction, 'username'>>;

export type ConsoleEnv = { Variables: { session: OpenSession | null; audit: AuditNote | null } };
export type ConsoleContext = Context<ConsoleEnv>;

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export function setSessionCookie(c: ConsoleContext, token: string, secure: boolean): void {
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure, path: COOKIE_PATH, maxAge: SESSION_MS / 1000 });
}

export function clearSessionCookie(c: ConsoleContext, secure: boolean): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: 'Strict', secure, path: COOKIE_PATH });
}

export const sessionToken = (c: ConsoleContext): string | undefined => getCookie(c, SESSION_COOKIE);

/**
 * A request that changes something must come from the console's own page: a browser names where a request comes
 * from (`Sec-Fetch-Site`, `Origin`) and cannot be made to lie about it, and the body must be JSON, which no form of
 * another site can send without a CORS preflight this API never grants. hono's csrf middleware checks only form
 * content types, so JSON requests are checked here.
 */
function checkSameOrigin(c: ConsoleContext): void {
  const site = c.req.header('sec-fetch-site');
  const origin = c.req.header('origin');
  if ((site !== undefined && site !== 'same-origin') || (origin !== undefined && origin !== new URL(c.req.url).origin)) {
    throw new ApiFailure('forbidden', 'Refused: this request did not come from the console page (cross-site request).', { details: [{ path: 'origin', message: 'cross-site' }] });
  }
  if (!/^application\/json\b/.test(c.req.header('content-type') ?? '')) {
    throw new ApiFailure('invalid_request', 'The console API takes JSON bodies (Content-Type: application/json).', { status: 415 });
  }
}

/**
 * Resolves the session cookie for every console API request and refuses a state-changing request that is
 * cross-site or (once signed in) lacks the session's CSRF token in `X-CSRF-Token`.
 */
export function consoleSession(sessions: { session: (token: string) => Promise<OpenSession | null> }): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const token = sessionToken(c);
    const session = token === undefined ? null : await sessions.session(token);
    c.set('session', session);
    c.set('audit', null);
    if (!SAFE_METHODS.has(c.req.method)) {
      checkSameOrigin(c);
      if (session) {
        const presented = c.req.header('x-csrf-token');
        if (presented === undefined || !timingSafeEqual(digest(presented), digest(session.csrfToken))) {
          throw new ApiFailure('forbidden', 'Refused: the CSRF token is missing or wrong. Reload the console and try again.', { details: [{ path: 'x-csrf-token', message: 'missing or wrong' }] });
        }
      }
    }
    await next();
    c.header('cache-control', 'no-store');
  };
}

/** Records every console API request but the page's own "who am I" in the append-only audit log. */
export function auditConsoleActions(audit: ConsoleAudit): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    await next();
    const note = c.get('audit');
    if (!note && c.req.method === 'GET' && c.req.path.endsWith('/session')) return;
    const session = c.get('session');
    await audit.record({
      username: note?.username ?? session?.username ?? null,
      role: session?.role ?? null,
      action: note?.action ?? `${c.req.method} ${c.req.path}`,
      target: note?.target ?? null,
      ...(note?.detail ? { detail: note.detail } : {}),
      status: c.res.status,
    });
  };
}

/** The signed-in account, which must have `role`; notes the action for the audit log first, so a refusal is recorded as what it refused. */
export function requireRole(c: ConsoleContext, role: ConsoleRole, note: AuditNote): OpenSession {
  c.set('audit', note);
  const session = c.get('session');
  if (!session) throw new ApiFailure('unauthorized', 'Sign in to the console first (the session may have expired).');
  if (session.role !== role) {
    throw new ApiFailure('forbidden', `This page is for the ${role === 'operator' ? 'operator' : 'compliance officer'} role; you are signed in as ${session.role === 'operator' ? 'an operator' : 'a compliance officer'}.`);
  }
  return session;
}

/** Any signed-in account. */
export function requireSession(c: ConsoleContext, note: AuditNote): OpenSession {
  c.set('audit', note);
  const session = c.get('session');
  if (!session) throw new ApiFailure('unauthorized', 'Sign in to the console first (the session may have expired).');
  return session;
}

/** The JSON body parsed with its shared schema; a body that is not JSON is a 400 like any other bad input. */
export async function jsonBody<S extends z.ZodType>(c: ConsoleContext, schema: S, what: string): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiFailure('invalid_request', `The ${what} is not valid JSON.`);
  }
  return parseOrFail(schema, body, what);
}
