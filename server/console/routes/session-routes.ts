import type { Hono } from 'hono';
import { LoginRequest } from '../../../shared/contract/console.ts';
import type { ApiContext } from '../../app.ts';
import { ApiFailure } from '../../http/api-failure.ts';
import { clearSessionCookie, jsonBody, requireSession, sessionToken, setSessionCookie, type ConsoleEnv } from '../console-session.ts';

/** Five wrong passwords in a quarter of an hour lock the account for the rest of it: an online guess gets five tries, not millions. */
const LOCKOUT = { attempts: 5, windowMs: 15 * 60_000 };

export function registerSessionRoutes(api: Hono<ConsoleEnv>, { store, now }: ApiContext, secureCookie: boolean): void {
  api.post('/login', async (c) => {
    c.set('audit', { action: 'login', target: null });
    const { username, password } = await jsonBody(c, LoginRequest, 'sign-in');
    c.set('audit', { action: 'login', target: null, username });
    const since = new Date(now().getTime() - LOCKOUT.windowMs).toISOString();
    if ((await store.consoleAudit.failedLogins(username, since)) >= LOCKOUT.attempts) {
      throw new ApiFailure('forbidden', 'Too many wrong passwords for this account: sign-in is locked for 15 minutes.', { status: 429 });
    }
    const account = await store.consoleAccounts.authenticate(username, password);
    if (!account) throw new ApiFailure('unauthorized', 'Wrong username or password.');
    const session = await store.consoleAccounts.openSession(account);
    setSessionCookie(c, session.token, secureCookie);
    c.set('session', session);
    const { token: _token, ...visible } = session;
    return c.json(visible, 200);
  });

  api.post('/logout', async (c) => {
    requireSession(c, { action: 'logout', target: null });
    const token = sessionToken(c);
    if (token !== undefined) await store.consoleAccounts.closeSession(token);
    clearSessionCookie(c, secureCookie);
    return c.json({ signedOut: true }, 200);
  });

  api.get('/session', (c) => {
    const session = c.get('session');
    if (!session) throw new ApiFailure('unauthorized', 'Not signed in.');
    return c.json(session, 200);
  });
}
