import { createRoute, z } from '@hono/zod-openapi';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { Heartbeat, HeartbeatAnswer } from '../../shared/contract/sync.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { requireDevice } from '../http/bearer-auth.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';

const FunnelQuery = z.object({ from: z.iso.date().optional(), to: z.iso.date().optional() }).strict();

const heartbeat = createRoute({
  method: 'post',
  path: '/v1/devices/heartbeat',
  summary:
    "A device's outbox health, placement, funnel counters and profile in force (latest kept per device; counters upserted per key); the answer carries the newer profile published for it, if any",
  security: [{ device: [] }],
  request: { body: jsonBody(Heartbeat) },
  responses: {
    200: { description: 'Stored', content: { 'application/json': { schema: HeartbeatAnswer } } },
    400: errorResponse('Malformed heartbeat'),
    401: errorResponse('Unknown device credential: enrol again'),
  },
});

export function registerHeartbeatRoutes(app: ApiApp, { store, now, config }: ApiContext): void {
  app.use(heartbeat.path, requireDevice(store.devices));
  app.openapi(heartbeat, async (c) => {
    const receivedAt = now().toISOString();
    const heartbeat = c.req.valid('json');
    const deviceId = c.get('device').id;
    await store.health.recordHeartbeat(deviceId, receivedAt, heartbeat);
    if (heartbeat.placement) await store.devices.reportPlacement(deviceId, heartbeat.placement, receivedAt);
    // A kiosk that says nothing of its profile predates remote profiles and could not use one.
    const inForce = heartbeat.profile;
    if (!inForce) return c.json({ serverTime: receivedAt }, 200);
    const siteId = heartbeat.placement?.siteId ?? (await store.devices.placementAt(deviceId, receivedAt))?.siteId ?? null;
    const published = await store.profiles.forDevice(deviceId, siteId);
    const newer = published !== null && published.revision > inForce.revision;
    return c.json(newer ? { serverTime: receivedAt, profile: published.signed } : { serverTime: receivedAt }, 200);
  });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/admin/devices',
    summary: 'Enrolled devices: placement, businesses, revocation, the chain held (missing ranges, persistent or not) and the latest heartbeat',
    security: [{ admin: [] }],
    responses: { 200: { description: 'Devices' }, 401: errorResponse('Missing or wrong admin token') },
  });
  app.get('/v1/admin/devices', async (c) => c.json({ devices: await store.health.listDevices(now().getTime(), config.chainGapSettleMs) }));

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/admin/funnel',
    summary: 'Funnel counters summed over devices, per day, flow, purpose, locale and outcome',
    security: [{ admin: [] }],
    request: { query: FunnelQuery },
    responses: { 200: { description: 'Counts' }, 401: errorResponse('Missing or wrong admin token') },
  });
  app.get('/v1/admin/funnel', async (c) => {
    const { from, to } = parseOrFail(FunnelQuery, c.req.query(), 'funnel query');
    return c.json({ counts: await store.health.funnel(from, to) });
  });
}
