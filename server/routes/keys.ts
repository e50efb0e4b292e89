import { createRoute, z } from '@hono/zod-openapi';
import { ApiKeys, SignedApiStatement } from '../../shared/contract/api-statement.ts';
import { DeviceKeys } from '../../shared/contract/sync.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { ApiFailure } from '../http/api-failure.ts';
import { requireDevice } from '../http/bearer-auth.ts';
import { errorResponse } from '../http/openapi-responses.ts';

const apiKeys = createRoute({
  method: 'get',
  path: '/v1/keys',
  summary: "The API's statement keys (Ed25519) with their validity, to check its signed statements from outside",
  responses: { 200: { description: 'Every key the API has signed statements with', content: { 'application/json': { schema: ApiKeys } } } },
});

const deviceKeys = createRoute({
  method: 'get',
  path: '/v1/devices/{id}/keys',
  summary: "A device's public keys with the seq range each was valid for, its placement and revocation, for auditors",
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    200: { description: 'The keys', content: { 'application/json': { schema: DeviceKeys } } },
    404: errorResponse('No such device'),
  },
});

const head = createRoute({
  method: 'get',
  path: '/v1/devices/head',
  summary: "The API's signed statement of the contiguous head it holds for the calling device, now",
  description: 'What a kiosk records in its chain as a clock observation (docs/trust-model.md).',
  security: [{ device: [] }],
  responses: {
    200: { description: 'Signed statement', content: { 'application/json': { schema: SignedApiStatement } } },
    401: errorResponse('Unknown or revoked device credential'),
  },
});

export function registerKeyRoutes(app: ApiApp, { store }: ApiContext): void {
  app.openapi(apiKeys, async (c) => c.json({ keys: await store.statements.keys() }, 200));

  app.use(head.path, requireDevice(store.devices));
  app.openapi(head, async (c) => {
    const deviceId = c.get('device').id;
    return c.json(store.statements.headStatement({ deviceId, head: await store.events.contiguousHead(deviceId) }), 200);
  });

  app.openapi(deviceKeys, async (c) => {
    const keys = await store.devices.publicKeys(c.req.valid('param').id);
    if (!keys) throw new ApiFailure('not_found', 'No device with this id is enrolled.');
    return c.json(keys, 200);
  });
}
