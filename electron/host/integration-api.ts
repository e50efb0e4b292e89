import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { VerifiedSubjectClear, VerifiedSubjectPush } from '../../shared/contract/host-integration.ts';
import { KioskFailure, parseOrFail, toKioskError } from '../../shared/contract/errors.ts';
import type { Profile } from '../../shared/contract/profile.ts';
import type { FlowSessions } from './flow-sessions.ts';
import { httpStatusFor, refuse, requireLoopbackHost } from './loopback-server.ts';

export function tokensMatch(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The endpoint the bank's or airline's own terminal software calls with the verified number of the transaction
 * running now (see docs/shells.md). Loopback only, its own bearer token, no browser callers (no Origin header).
 */
export function createIntegrationApi(deps: { profile: Profile; sessions: FlowSessions; token: string }): Hono {
  const app = new Hono();
  app.use(requireLoopbackHost());
  app.use(async (c, next) => {
    if (c.req.header('origin') !== undefined) return refuse(c, 403, 'forbidden', 'Browsers may not call the host integration API.');
    if (!tokensMatch(c.req.header('authorization')?.replace(/^Bearer /, ''), deps.token)) {
      return refuse(c, 401, 'unauthorized', 'A valid integration token is required.');
    }
    await next();
  });
  app.use(bodyLimit({ maxSize: 4096, onError: (c) => refuse(c, 413, 'invalid_request', 'The request body is too large.') }));

  const integrationFlow = (flowId: string) => {
    const flow = deps.profile.flows.find((candidate) => candidate.id === flowId);
    if (!flow) throw new KioskFailure('not_found', `This kiosk has no flow "${flowId}".`);
    if (flow.verifiedSubject.kind !== 'integration') {
      throw new KioskFailure('forbidden', `Flow "${flowId}" does not take verified numbers from the host integration.`);
    }
  };

  const handle = (run: (body: unknown) => unknown) => async (c: Context) => {
    try {
      const body: unknown = await c.req.json().catch(() => {
        throw new KioskFailure('invalid_request', 'The request body must be JSON.');
      });
      return c.json({ ok: true, value: run(body) });
    } catch (error) {
      const kioskError = toKioskError(error);
      return c.json({ ok: false, error: kioskError }, httpStatusFor(kioskError.code));
    }
  };

  app.put(
    '/integration/v1/verified-subject',
    handle((body) => {
      const push = parseOrFail(VerifiedSubjectPush, body, 'verified subject');
      integrationFlow(push.flowId);
      return deps.sessions.push(push);
    }),
  );
  app.post(
    '/integration/v1/verified-subject/clear',
    handle((body) => {
      const { flowId } = parseOrFail(VerifiedSubjectClear, body, 'clear request');
      integrationFlow(flowId);
      deps.sessions.clearPushed(flowId);
      return {};
    }),
  );
  app.notFound((c) => refuse(c, 404, 'not_found', 'No such integration endpoint.'));
  return app;
}
