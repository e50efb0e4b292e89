import { createRoute } from '@hono/zod-openapi';
import { ConsentCheckRequest, ConsentCheckResponse, SubjectStateRequest, SubjectStateResponse } from '../../shared/contract/sync.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { checkPurpose, decisionTrail, resolvePurposeStates } from '../consent/resolve-state.ts';
import { requireToken } from '../http/bearer-auth.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';

const guarded = { 400: errorResponse('Malformed request'), 401: errorResponse('Missing or wrong token'), 403: errorResponse('No token configured') };

const check = createRoute({
  method: 'post',
  path: '/v1/consent/check',
  summary: 'May I send purpose P to number N?',
  security: [{ admin: [] }],
  request: { body: jsonBody(ConsentCheckRequest) },
  responses: { 200: { description: 'The answer, with the state behind it', content: { 'application/json': { schema: ConsentCheckResponse } } }, ...guarded },
});

const subjectState = createRoute({
  method: 'post',
  path: '/v1/subjects/state',
  summary: "A number's state per purpose and the decisions behind it",
  security: [{ admin: [] }],
  request: { body: jsonBody(SubjectStateRequest) },
  responses: { 200: { description: 'State per purpose', content: { 'application/json': { schema: SubjectStateResponse } } }, ...guarded },
});

export function registerConsentRoutes(app: ApiApp, { store, config }: ApiContext): void {
  const reader = requireToken([config.consentReaderToken, config.adminToken], 'consent reader');
  app.use(check.path, reader);
  app.use(subjectState.path, reader);

  app.openapi(check, (c) => {
    const { phone, purposeId } = c.req.valid('json');
    const states = resolvePurposeStates(store.history.decisionsFor(phone), store.history.preferencesFor(phone));
    return c.json(checkPurpose(states, purposeId), 200);
  });

  app.openapi(subjectState, (c) => {
    const { phone } = c.req.valid('json');
    const decisions = store.history.decisionsFor(phone);
    const preferences = store.history.preferencesFor(phone);
    return c.json({ purposes: resolvePurposeStates(decisions, preferences), decisions: decisionTrail(decisions, preferences) }, 200);
  });
}
