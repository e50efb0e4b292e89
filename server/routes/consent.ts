import { createRoute } from '@hono/zod-openapi';
import {
  ConsentCheckBatchRequest,
  ConsentCheckBatchResponse,
  ConsentCheckRequest,
  ConsentCheckResponse,
  SubjectStateRequest,
  SubjectStateResponse,
} from '../../shared/contract/sync.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import type { Store } from '../store/store.ts';
import type { ServerConfig } from '../config.ts';
import { checkPurpose, decisionTrail, decisionsAsOf, resolvePurposeStates } from '../consent/resolve-state.ts';
import { requireToken } from '../http/bearer-auth.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';
import { requireBusiness } from '../http/require-business.ts';

const guarded = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Missing or wrong token'),
  403: errorResponse('No token configured'),
  404: errorResponse('No business with this id is registered'),
};

/** The messaging system's reads: in front of every message it sends, so their bodies are read the short way (app.ts). */
export const CONSENT_READ_PATHS: ReadonlySet<string> = new Set(['/v1/consent/check', '/v1/consent/check-batch', '/v1/subjects/state']);

const check = createRoute({
  method: 'post',
  path: '/v1/consent/check',
  summary: 'May business B send purpose P to number N (now, or as of a past time)?',
  description: 'Now: one indexed read of the current state. As of a time: resolved from the history (an audit of a past send).',
  security: [{ admin: [] }],
  request: { body: jsonBody(ConsentCheckRequest) },
  responses: { 200: { description: 'The answer, with the state behind it', content: { 'application/json': { schema: ConsentCheckResponse } } }, ...guarded },
});

const checkBatch = createRoute({
  method: 'post',
  path: '/v1/consent/check-batch',
  summary: 'May business B send to each of these numbers (up to 1 000, one purpose for all or one each), now?',
  security: [{ admin: [] }],
  request: { body: jsonBody(ConsentCheckBatchRequest) },
  responses: { 200: { description: 'One answer per item, in order', content: { 'application/json': { schema: ConsentCheckBatchResponse } } }, ...guarded },
});

const subjectState = createRoute({
  method: 'post',
  path: '/v1/subjects/state',
  summary: "A number's state per purpose with one business, and the decisions behind it",
  security: [{ admin: [] }],
  request: { body: jsonBody(SubjectStateRequest) },
  responses: { 200: { description: 'State per purpose', content: { 'application/json': { schema: SubjectStateResponse } } }, ...guarded },
});

/** Who may ask the consent reads: the messaging system's reader token, or the operator's admin token. */
export const consentReaderTokens = (config: ServerConfig) => [config.consentReaderToken, config.adminToken];
export const CONSENT_READER_WHAT = 'consent reader';

/** Everything recorded for the number with the business. */
async function historyOf(store: Store, businessId: string, phone: string) {
  return { decisions: await store.history.decisionsFor(businessId, phone), preferences: await store.history.preferencesFor(businessId, phone) };
}

/**
 * The answer to POST /v1/consent/check, however the request reached it: through hono's route, or answered by Node's
 * server directly (http/direct-check.ts), the API's hottest path.
 */
export async function answerCheck(store: Store, { businessId, phone, purposeId, asOf }: ConsentCheckRequest): Promise<ConsentCheckResponse> {
  await requireBusiness(store, businessId);
  if (asOf === undefined) return { businessId, ...(await store.states.check(businessId, { phoneKey: store.lookup(phone), purposeId })) };
  const { decisions, preferences } = await historyOf(store, businessId, phone);
  const atMs = Date.parse(asOf);
  const answer = (known: boolean) => checkPurpose(resolvePurposeStates(decisionsAsOf(decisions, atMs, known), decisionsAsOf(preferences, atMs, known)), purposeId);
  const trueThen = answer(false);
  return { businessId, ...trueThen, asOf: { at: asOf, knownThen: answer(true), trueThen } };
}

export function registerConsentRoutes(app: ApiApp, { store, config }: ApiContext): void {
  const reader = requireToken(consentReaderTokens(config), CONSENT_READER_WHAT);
  for (const route of [check, checkBatch, subjectState]) app.use(route.path, reader);

  app.openapi(check, async (c) => c.json(await answerCheck(store, c.req.valid('json')), 200));

  app.openapi(checkBatch, async (c) => {
    const request = c.req.valid('json');
    await requireBusiness(store, request.businessId);
    const items = request.items.map((item) => ({ phone: item.phone, purposeId: (item.purposeId ?? request.purposeId)! }));
    const answers = await store.states.checkMany(request.businessId, items.map((item) => ({ phoneKey: store.lookup(item.phone), purposeId: item.purposeId })));
    return c.json({ businessId: request.businessId, results: answers.map((answer, index) => ({ ...items[index]!, ...answer })) }, 200);
  });

  app.openapi(subjectState, async (c) => {
    const { businessId, phone, asOf } = c.req.valid('json');
    await requireBusiness(store, businessId);
    const history = await historyOf(store, businessId, phone);
    const atMs = asOf === undefined ? null : Date.parse(asOf);
    const decisions = atMs === null ? history.decisions : decisionsAsOf(history.decisions, atMs, false);
    const preferences = atMs === null ? history.preferences : decisionsAsOf(history.preferences, atMs, false);
    return c.json({ businessId, purposes: resolvePurposeStates(decisions, preferences), decisions: decisionTrail(decisions, preferences) }, 200);
  });
}
