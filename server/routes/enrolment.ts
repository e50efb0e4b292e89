import { createRoute, z } from '@hono/zod-openapi';
import { EnrolmentRequest, EnrolmentResponse } from '../../shared/contract/sync.ts';
import { IsoTimestamp } from '../../shared/contract/primitives.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { ApiFailure } from '../http/api-failure.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';
import { keyIdOf } from '../store/device-registry.ts';

const EnrolmentTokenCreated = z.object({ token: z.string(), createdAt: IsoTimestamp });

const enrol = createRoute({
  method: 'post',
  path: '/v1/devices/enrol',
  summary: 'Enrol a device with a one-time enrolment token; returns the device credential',
  request: { body: jsonBody(EnrolmentRequest) },
  responses: {
    200: { description: 'Enrolled', content: { 'application/json': { schema: EnrolmentResponse } } },
    400: errorResponse('Malformed request, or keyId does not match the public key'),
    401: errorResponse('Unknown enrolment token'),
    409: errorResponse('Enrolment token already used, or the key belongs to another device'),
  },
});

const createToken = createRoute({
  method: 'post',
  path: '/v1/admin/enrolment-tokens',
  summary: 'Create a one-time enrolment token (operator)',
  security: [{ admin: [] }],
  responses: {
    201: { description: 'Created; the token is shown once', content: { 'application/json': { schema: EnrolmentTokenCreated } } },
    401: errorResponse('Missing or wrong admin token'),
    403: errorResponse('Admin API disabled'),
  },
});

const REFUSALS = {
  unknown_token: new ApiFailure('unauthorized', 'Unknown enrolment token.', { details: [{ path: 'token', message: 'unknown' }] }),
  token_used: new ApiFailure('forbidden', 'This enrolment token has already been used; ask the operator for a new one.', {
    status: 409,
    details: [{ path: 'token', message: 'already used' }],
  }),
  key_in_use: new ApiFailure('forbidden', 'This public key is already enrolled for another device.', {
    status: 409,
    details: [{ path: 'keyId', message: 'enrolled for another device' }],
  }),
} as const;

export function registerEnrolmentRoutes(app: ApiApp, { store, log, now }: ApiContext): void {
  app.openapi(enrol, (c) => {
    const request = c.req.valid('json');
    if (keyIdOf(request.publicKey) !== request.keyId) {
      throw new ApiFailure('invalid_request', 'keyId does not match the public key (first 16 bytes of its SHA-256, hex).', {
        details: [{ path: 'keyId', message: 'does not match publicKey' }],
      });
    }
    const outcome = store.devices.enrol(request);
    if (!outcome.ok) {
      log(`enrolment refused: ${outcome.reason}`);
      throw REFUSALS[outcome.reason];
    }
    log(`device enrolled: ${request.deviceId} key ${request.keyId}`);
    return c.json(outcome.response, 200);
  });

  app.openapi(createToken, (c) => c.json({ token: store.devices.createToken(), createdAt: now().toISOString() }, 201));
}
