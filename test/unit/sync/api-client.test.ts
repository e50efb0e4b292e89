import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiFailure, createApiClient } from '../../../electron/sync/api-client.ts';

// A tiny real HTTP server on loopback that answers the ingest endpoint in the ways a flaky API can; the
// reference API (server/) is exercised by the fault tests.
let server: ServerType;
let baseUrl: string;
const replies: Array<(c: Context) => Response | Promise<Response>> = [];

beforeAll(async () => {
  const app = new Hono();
  app.post('/v1/ingest', (c) => {
    const reply = replies.shift();
    if (!reply) throw new Error('no reply queued');
    return reply(c);
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      baseUrl = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const batch = { eventsJson: [] };
const statement = {
  statement: { v: 1, type: 'device_head', keyId: 'a'.repeat(32), deviceId: '019ab1c2-d3e4-4f00-8a00-0123456789ab', head: null, issuedAt: '2025-03-01T10:00:00.000Z' },
  sig: 'A'.repeat(86),
};

async function failureOf(promise: Promise<unknown>): Promise<ApiFailure> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiFailure);
  return error as ApiFailure;
}

describe('the central API client', () => {
  const client = () => createApiClient({ baseUrl, timeoutMs: 300 });

  it('returns a reply that matches the contract', async () => {
    let body = '';
    replies.push(async (c) => {
      body = await c.req.text();
      return c.json({ serverTime: '2025-03-01T10:00:00.000Z', results: [{ id: 'a', status: 'duplicate' }], statement });
    });
    await expect(client().ingest('cred', batch)).resolves.toEqual({
      serverTime: '2025-03-01T10:00:00.000Z',
      results: [{ id: 'a', status: 'duplicate' }],
      statement,
    });
    // no clock offset travels with a batch any more: the API corrects time only by the chain's clock observations
    expect(JSON.parse(body)).toEqual({ events: [] });
  });

  it('treats a 503 as retryable and carries its Retry-After', async () => {
    replies.push((c) => c.json({ code: 'internal', message: 'busy' }, 503, { 'Retry-After': '3' }));
    const failure = await failureOf(client().ingest('cred', batch));
    expect(failure).toMatchObject({ kind: 'unavailable', status: 503, retryAfterMs: 3_000 });
    expect(failure.message).toContain('busy');
  });

  it('reports a 401 as a need to enrol again', async () => {
    replies.push((c) => c.json({ code: 'unauthorized', message: 'unknown credential' }, 401));
    expect(await failureOf(client().ingest('cred', batch))).toMatchObject({ kind: 'unauthorized', status: 401 });
  });

  it('gives up on a reply slower than its timeout', async () => {
    replies.push(async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return c.json({});
    });
    expect(await failureOf(client().ingest('cred', batch))).toMatchObject({ kind: 'timeout' });
  });

  it('refuses a 200 whose body is outside the contract instead of trusting it', async () => {
    replies.push((c) => c.json({ results: [{ id: 'a', status: 'maybe' }] }));
    expect(await failureOf(client().ingest('cred', batch))).toMatchObject({ kind: 'invalid_response' });
  });

  it('reports an unreachable API as a network failure', async () => {
    const nowhere = createApiClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 1_000 });
    expect(await failureOf(nowhere.ingest('cred', batch))).toMatchObject({ kind: 'network' });
    expect(await nowhere.reachable()).toBe(false);
  });

  it('tells a cancellation by the kiosk apart from a failure', async () => {
    replies.push(async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return c.json({});
    });
    const controller = new AbortController();
    const call = client().ingest('cred', batch, controller.signal);
    setTimeout(() => controller.abort(), 20);
    expect(await failureOf(call)).toMatchObject({ kind: 'aborted' });
  });
});
