import { createRoute, z } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import { EnrolmentRequest, EnrolmentResponse } from '../../shared/contract/sync.ts';
import { EnrolmentTokenTerms } from '../../shared/contract/console.ts';
import { IsoTimestamp, Text } from '../../shared/contract/primitives.ts';
import type { Store } from '../store/store.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { ApiFailure } from '../http/api-failure.ts';
import { guessLimit } from '../http/guess-limit.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';
import { keyIdOf } from '../keys/ed25519.ts';
import type { EnrolmentRefusal } from '../store/device-registry.ts';

/** What an operator binds an enrolment token to: the businesses the device may collect for (default: all registered). */
const TokenTerms = EnrolmentTokenTerms;
const TokenCreated = z.object({ token: z.string(), createdAt: IsoTimestamp, deviceId: z.uuid().optional() });
const DeviceParam = z.object({ id: z.uuid() });
const Revocation = z.object({ reason: Text(1, 200).optional() }).strict();

const adminOnly = { 401: errorResponse('Missing or wrong admin token'), 403: errorResponse('Admin API disabled') };

const enrol = createRoute({
  method: 'post',
  path: '/v1/devices/enrol',
  summary: 'Enrol a device with a one-time enrolment token; returns the device credential and the API statement keys',
  request: { body: jsonBody(EnrolmentRequest) },
  responses: {
    200: { description: 'Enrolled', content: { 'application/json': { schema: EnrolmentResponse } } },
    400: errorResponse('Malformed request, or keyId does not match the public key'),
    401: errorResponse('Unknown enrolment token'),
    409: errorResponse('Token already used or issued for another device; device id already enrolled or revoked; key of another device'),
    429: errorResponse('Too many unknown enrolment tokens from this address; Retry-After says when to try again'),
  },
});

/** Unknown tokens one address may present within the window before it waits (a technician's typos fit well inside). */
const ENROLMENT_GUESSES = { misses: 10, windowMs: 10 * 60_000 };

const createToken = createRoute({
  method: 'post',
  path: '/v1/admin/enrolment-tokens',
  summary: 'Create a one-time enrolment token for a new device (operator), optionally limited to some businesses and pinning a placement',
  security: [{ admin: [] }],
  request: { body: { content: { 'application/json': { schema: TokenTerms } }, required: false } },
  responses: {
    201: { description: 'Created; the token is shown once', content: { 'application/json': { schema: TokenCreated } } },
    400: errorResponse('Malformed terms, or a business that is not registered'),
    ...adminOnly,
  },
});

const reEnrolmentToken = createRoute({
  method: 'post',
  path: '/v1/admin/devices/{id}/re-enrolment-token',
  summary: 'Create a one-time token that re-enrols this device id (new credential; a new key is valid after the highest seq held)',
  security: [{ admin: [] }],
  request: { params: DeviceParam, body: { content: { 'application/json': { schema: TokenTerms } }, required: false } },
  responses: {
    201: { description: 'Created; the token is shown once', content: { 'application/json': { schema: TokenCreated } } },
    400: errorResponse('Malformed terms, or a business that is not registered'),
    404: errorResponse('No such device'),
    409: errorResponse('The device is revoked'),
    ...adminOnly,
  },
});

const revoke = createRoute({
  method: 'post',
  path: '/v1/admin/devices/{id}/revoke',
  summary: "Revoke a device: its credential is refused (401) at ingest, heartbeat and head, for good",
  security: [{ admin: [] }],
  request: { params: DeviceParam, body: { content: { 'application/json': { schema: Revocation } }, required: false } },
  responses: {
    200: { description: 'Revoked', content: { 'application/json': { schema: z.object({ deviceId: z.uuid(), revokedAt: IsoTimestamp }) } } },
    404: errorResponse('No such device'),
    409: errorResponse('Already revoked'),
    ...adminOnly,
  },
});

const conflict = (message: string, path: string, why: string) => new ApiFailure('forbidden', message, { status: 409, details: [{ path, message: why }] });

const REFUSALS: Record<EnrolmentRefusal, ApiFailure> = {
  unknown_token: new ApiFailure('unauthorized', 'Unknown enrolment token.', { details: [{ path: 'token', message: 'unknown' }] }),
  token_used: conflict('This enrolment token has already been used; ask the operator for a new one.', 'token', 'already used'),
  token_expired: conflict('This enrolment token has expired; ask the operator for a new one.', 'token', 'expired'),
  token_for_other_device: conflict('This enrolment token was issued to re-enrol another device.', 'token', 'issued for another device'),
  device_enrolled: conflict(
    'This device id is already enrolled; only an operator can re-enrol it, with a re-enrolment token issued for it.',
    'deviceId',
    'already enrolled',
  ),
  device_revoked: conflict('This device has been revoked and cannot be enrolled again.', 'deviceId', 'revoked'),
  key_in_use: conflict('This public key is already enrolled (for another device, or retired).', 'keyId', 'already enrolled'),
};

/** The terms of a new token, its businesses checked against the registry (the admin API and the console). */
export async function checkedTokenTerms(store: Store, terms: EnrolmentTokenTerms): Promise<EnrolmentTokenTerms> {
  const businesses = await store.businesses.current();
  const unknown = terms.businessIds?.filter((id) => !businesses.byId(id)) ?? [];
  if (unknown.length > 0) {
    throw new ApiFailure('invalid_request', `No business is registered with the id ${unknown.join(', ')}.`, { details: [{ path: 'businessIds', message: 'not registered' }] });
  }
  return terms;
}

/** The device to revoke, refused as unknown (404) or already revoked (409); the same answer for the admin API and the console. */
export async function revokeDevice(store: Store, id: string, reason: string | null): Promise<{ deviceId: string; revokedAt: string }> {
  if (!(await store.devices.exists(id))) throw new ApiFailure('not_found', 'No device with this id is enrolled.');
  if (!(await store.devices.revoke(id, reason))) throw conflict('This device is already revoked.', 'id', 'already revoked');
  return { deviceId: id, revokedAt: (await store.devices.publicKeys(id))!.revokedAt! };
}

export function registerEnrolmentRoutes(app: ApiApp, { store, log, now }: ApiContext): void {
  const checked = (terms: EnrolmentTokenTerms) => checkedTokenTerms(store, terms);

  const guesses = guessLimit({ ...ENROLMENT_GUESSES, now });
  app.openapi(enrol, async (c) => {
    const request = c.req.valid('json');
    const address = getConnInfo(c).remote.address ?? 'unknown';
    const wait = guesses.waitSeconds(address);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      throw new ApiFailure('forbidden', `Too many unknown enrolment tokens from this address; try again in ${wait} s.`, { status: 429 });
    }
    if (keyIdOf(request.publicKey) !== request.keyId) {
      throw new ApiFailure('invalid_request', 'keyId does not match the public key (first 16 bytes of its SHA-256, hex).', {
        details: [{ path: 'keyId', message: 'does not match publicKey' }],
      });
    }
    const outcome = await store.devices.enrol(request);
    if (!outcome.ok) {
      if (outcome.reason === 'unknown_token') guesses.miss(address);
      log(`enrolment refused for ${request.deviceId}: ${outcome.reason}`);
      throw REFUSALS[outcome.reason];
    }
    log(`device ${outcome.reEnrolled ? 're-enrolled' : 'enrolled'}: ${request.deviceId} key ${request.keyId}`);
    return c.json({ ...outcome.response, apiKeys: await store.statements.keys() }, 200);
  });

  app.openapi(createToken, async (c) => c.json(await store.devices.issueToken(await checked(c.req.valid('json'))), 201));

  app.openapi(reEnrolmentToken, async (c) => {
    const { id } = c.req.valid('param');
    const terms = await checked(c.req.valid('json'));
    if (!(await store.devices.exists(id))) throw new ApiFailure('not_found', 'No device with this id is enrolled.');
    if (await store.devices.isRevoked(id)) throw conflict('This device has been revoked and cannot be enrolled again.', 'id', 'revoked');
    const issued = await store.devices.issueToken({ ...terms, forDeviceId: id });
    log(`re-enrolment token issued for ${id}`);
    return c.json({ ...issued, deviceId: id }, 201);
  });

  app.openapi(revoke, async (c) => {
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    const revoked = await revokeDevice(store, id, reason ?? null);
    log(`device revoked: ${id}`);
    return c.json(revoked, 200);
  });
}
