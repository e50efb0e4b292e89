import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { DeviceRecord, DeviceRegistry } from '../store/device-registry.ts';
import { ApiFailure } from './api-failure.ts';

export type DeviceEnv = { Variables: { device: DeviceRecord } };

function bearerOf(header: string | undefined): string | null {
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(header ?? '');
  return match?.[1] ?? null;
}

/** 401 means "enrol again" to the kiosk's sync worker: a missing, unknown, replaced or revoked credential. */
export function requireDevice(registry: DeviceRegistry): MiddlewareHandler<DeviceEnv> {
  return async (c, next) => {
    const credential = bearerOf(c.req.header('authorization'));
    const device = credential === null ? null : await registry.authenticate(credential);
    if (!device) throw new ApiFailure('unauthorized', 'Unknown, replaced or revoked device credential: enrol the device again.');
    c.set('device', device);
    await next();
  };
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Accepts any of the configured `tokens` (unset ones are skipped) in an Authorization header, or throws the API's
 * refusal. Compares digests, so neither timing nor length says how much of a token was right.
 */
export function tokenCheck(tokens: readonly (string | undefined)[], what: string): (authorization: string | undefined) => void {
  const expected = tokens.filter((token) => token !== undefined).map(digest);
  return (authorization) => {
    if (expected.length === 0) throw new ApiFailure('forbidden', `The ${what} API is disabled: no token is configured for it.`);
    const presented = bearerOf(authorization);
    const presentedDigest = presented === null ? null : digest(presented);
    if (presentedDigest === null || !expected.some((token) => timingSafeEqual(presentedDigest, token))) {
      throw new ApiFailure('unauthorized', `A valid ${what} bearer token is required.`);
    }
  };
}

/** `tokenCheck` as hono middleware. */
export function requireToken(tokens: readonly (string | undefined)[], what: string): MiddlewareHandler {
  const check = tokenCheck(tokens, what);
  return async (c, next) => {
    check(c.req.header('authorization'));
    await next();
  };
}
