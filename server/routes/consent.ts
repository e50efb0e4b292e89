import { createRoute } from '@hono/zod-openapi';
import { ConsentCheckRequest, ConsentCheckResponse, SubjectStateRequest, SubjectStateResponse } from '../../shared/contract/sync.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { checkPurpose, decisionTrail, decisionsAsOf, resolvePurposeStates } from '../consent/resolve-state.ts';
import { ApiFailure } from '../http/api-failure.ts';
import { requireToken } from '../http/bearer-auth.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';

const guarded = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Missing or wrong token'),
  403: errorResponse('No token configured'),
  404: errorResponse('No business with this id is registered'),
};

const check = createRoute({
  method: 'post',
  path: '/v1/consent/check',
  summary: 'May business B send purpose P to number N (now, or as of a past time)?',
  security: [{ admin: [] }],
  request: { body: jsonBody(ConsentCheckRequest) },
  responses: { 200: { description: 'The answer, with the state behind it', content: { 'application/json': { schema: ConsentCheckResponse } } }, ...guarded },
});

const subjectState = createRoute({
  method: 'post',
  path: '/v1/subjects/state',
  summary: "A number's state per purpose with one business, and the decisions behind it",
  security: [{ admin: [] }],
  request: { body: jsonBody(SubjectStateRequest) },
  responses: { 200: { description: 'State per purpose', content: { 'application/json': { schema: SubjectStateResponse } } }, ...guarded },
});

export function registerConsentRoutes(app: ApiApp, { store, config }: ApiContext): void {
  const reader = requireToken([config.consentReaderToken, config.adminToken], 'consent reader');
  app.use(check.path, reader);
  app.use(subjectState.path, reader);

  /** Everything recorded for the number with the business; refuses a business the API does not know. */
  function historyOf(businessId: string, phone: string) {
    if (!store.businesses.byId(businessId)) throw new ApiFailure('not_found', `No business "${businessId}" is registered.`);
    return { decisions: store.history.decisionsFor(businessId, phone), preferences: store.history.preferencesFor(businessId, phone) };
  }

  app.openapi(check, (c) => {
    const { businessId, phone, purposeId, asOf } = c.req.valid('json');
    const { decisions, preferences } = historyOf(businessId, phone);
    const answer = (known: boolean | null) => {
      if (known === null) return checkPurpose(resolvePurposeStates(decisions, preferences), purposeId);
      const atMs = Date.parse(asOf!);
      return checkPurpose(resolvePurposeStates(decisionsAsOf(decisions, atMs, known), decisionsAsOf(preferences, atMs, known)), purposeId);
    };
    if (asOf === undefined) return c.json({ businessId, ...answer(null) }, 200);
    const trueThen = answer(false);
    return c.json({ businessId, ...trueThen, asOf: { at: asOf, knownThen: answer(true), trueThen } }, 200);
  });

  app.openapi(subjectState, (c) => {
    const { businessId, phone, asOf } = c.req.valid('json');
    const history = historyOf(businessId, phone);
    const atMs = asOf === undefined ? null : Date.parse(asOf);
    const decisions = atMs === null ? history.decisions : decisionsAsOf(history.decisions, atMs, false);
    const preferences = atMs === null ? history.preferences : decisionsAsOf(history.preferences, atMs, false);
    return c.json({ businessId, purposes: resolvePurposeStates(decisions, preferences), decisions: decisionTrail(decisions, preferences) }, 200);
  });
}
