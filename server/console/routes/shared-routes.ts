import type { Hono } from 'hono';
import type { ApiContext } from '../../app.ts';
import { requireSession, type ConsoleEnv } from '../console-session.ts';

const AUDIT_PAGE = 200;

/** What both roles see: the registered businesses (to choose from) and the console's audit log. */
export function registerSharedRoutes(api: Hono<ConsoleEnv>, { store }: ApiContext): void {
  api.get('/businesses', async (c) => {
    requireSession(c, { action: 'list_businesses', target: null });
    return c.json({ businesses: (await store.businesses.current()).list().map(({ id, name }) => ({ id, name })) }, 200);
  });

  api.get('/audit-log', async (c) => {
    requireSession(c, { action: 'view_audit_log', target: null });
    return c.json({ entries: await store.consoleAudit.latest(AUDIT_PAGE) }, 200);
  });
}
