import { createRoute, z } from '@hono/zod-openapi';
import { E164, Slug } from '../../shared/contract/primitives.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { RegisteredBusiness } from '../businesses/registered-business.ts';
import { ApiFailure } from '../http/api-failure.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';
import { requireBusiness } from '../http/require-business.ts';

const adminOnly = { 400: errorResponse('Malformed request'), 401: errorResponse('Missing or wrong admin token'), 403: errorResponse('Admin API disabled') };
const Businesses = z.object({ businesses: z.array(RegisteredBusiness) });
const BusinessBody = RegisteredBusiness.omit({ id: true });
const Erasure = z.object({ phone: E164, businessId: Slug.optional() }).strict();
const ErasureOutcome = z.object({ openings: z.number().int(), whatsappChanges: z.number().int(), deliveries: z.number().int(), userIds: z.number().int() });

const putBusiness = createRoute({
  method: 'put',
  path: '/v1/admin/businesses/{id}',
  summary: 'Register or update a business the API collects consent for (profile id, name, WhatsApp number, WhatsApp phone-number id)',
  security: [{ admin: [] }],
  request: { params: z.object({ id: Slug }), body: jsonBody(BusinessBody) },
  responses: {
    200: { description: 'Updated', content: { 'application/json': { schema: RegisteredBusiness } } },
    201: { description: 'Registered', content: { 'application/json': { schema: RegisteredBusiness } } },
    409: errorResponse('Another business has this WhatsApp number or phone-number id'),
    ...adminOnly,
  },
});

const listBusinesses = createRoute({
  method: 'get',
  path: '/v1/admin/businesses',
  summary: 'The registered businesses',
  security: [{ admin: [] }],
  responses: { 200: { description: 'Businesses', content: { 'application/json': { schema: Businesses } } }, ...adminOnly },
});

const erase = createRoute({
  method: 'post',
  path: '/v1/admin/subjects/erase',
  summary: "Erase a subject's personal data (with one business, or all); the signed events stay stored and verifiable",
  security: [{ admin: [] }],
  request: { body: jsonBody(Erasure) },
  responses: {
    200: { description: 'What was erased', content: { 'application/json': { schema: ErasureOutcome } } },
    404: errorResponse('No such business'),
    ...adminOnly,
  },
});

export function registerAdminRoutes(app: ApiApp, { store, log }: ApiContext): void {
  app.openapi(putBusiness, async (c) => {
    const business = { id: c.req.valid('param').id, ...c.req.valid('json') };
    const outcome = await store.businesses.put(business);
    if (!outcome.ok) {
      throw new ApiFailure('forbidden', `The business "${outcome.with}" already has this ${outcome.conflict === 'whatsapp_number' ? 'WhatsApp number' : 'WhatsApp phone-number id'}.`, {
        status: 409,
        details: [{ path: outcome.conflict === 'whatsapp_number' ? 'whatsappNumber' : 'whatsappPhoneNumberId', message: `used by ${outcome.with}` }],
      });
    }
    log(`business ${outcome.created ? 'registered' : 'updated'}: ${business.id}`);
    return c.json((await store.businesses.current()).byId(business.id)!, outcome.created ? 201 : 200);
  });

  app.openapi(listBusinesses, async (c) => c.json({ businesses: (await store.businesses.current()).list() }, 200));

  app.openapi(erase, async (c) => {
    const { phone, businessId } = c.req.valid('json');
    if (businessId !== undefined) await requireBusiness(store, businessId);
    const outcome = await store.erasure.erase(phone, businessId ?? null);
    log(`subject erased ${businessId === undefined ? 'with every business' : `with ${businessId}`}: ${outcome.openings} opening(s), ${outcome.whatsappChanges} WhatsApp change(s)`);
    return c.json(outcome, 200);
  });
}
