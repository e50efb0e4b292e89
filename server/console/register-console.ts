import { Hono } from 'hono';
import type { ApiApp } from '../app.ts';
import type { ApiContext } from '../app.ts';
import { auditConsoleActions, consoleSession, type ConsoleEnv } from './console-session.ts';
import { registerConsolePage } from './console-page.ts';
import { registerComplianceRoutes } from './routes/compliance-routes.ts';
import { registerOperatorRoutes } from './routes/operator-routes.ts';
import { registerSessionRoutes } from './routes/session-routes.ts';
import { registerSharedRoutes } from './routes/shared-routes.ts';
import type { ProfilePublisher } from '../profiles/publish-profile.ts';

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/**
 * The operator and compliance console: its page at /console/ and its API at /console/api/ (cookie sessions, CSRF
 * tokens, roles, an append-only audit log of every action). docs/console.md.
 */
export function registerConsole(app: ApiApp, context: ApiContext, publisher: ProfilePublisher): void {
  // Secure cookies need TLS; a loopback API is reached over plain HTTP by the developer's own browser
  const secureCookie = context.config.consoleSecureCookie ?? !LOOPBACK.test(context.config.host);
  const api = new Hono<ConsoleEnv>();
  api.use('*', auditConsoleActions(context.store.consoleAudit));
  api.use('*', consoleSession(context.store.consoleAccounts));
  registerSessionRoutes(api, context, secureCookie);
  registerSharedRoutes(api, context);
  registerOperatorRoutes(api, context, publisher);
  registerComplianceRoutes(api, context);
  app.route('/console/api', api);
  registerConsolePage(app);
}
