import type { Hono } from 'hono';
import { z } from 'zod';
import { DeviceRevocation, EnrolmentTokenTerms, FunnelQuery, type Fleet } from '../../../shared/contract/console.ts';
import { parseOrFail } from '../../../shared/contract/errors.ts';
import type { ApiContext } from '../../app.ts';
import { checkedTokenTerms, revokeDevice } from '../../routes/enrolment.ts';
import { jsonBody, requireRole, type ConsoleEnv } from '../console-session.ts';
import { fleetDevice, STALE_AFTER_MS } from '../fleet-view.ts';
import { funnelCsv } from '../funnel-csv.ts';

const DeviceId = z.uuid('must be a device id (a UUID)');

/** The operator's pages: the fleet (enrol, revoke) and the funnel. Nothing here carries a phone number. */
export function registerOperatorRoutes(api: Hono<ConsoleEnv>, { store, now, config, log }: ApiContext): void {
  api.get('/fleet', async (c) => {
    requireRole(c, 'operator', { action: 'view_fleet', target: null });
    const nowMs = now().getTime();
    const [rows, clocks] = await Promise.all([store.health.listDevices(nowMs, config.chainGapSettleMs), store.health.clockOffsets()]);
    const fleet: Fleet = {
      devices: rows.map((row) => fleetDevice(row, clocks.get(row.deviceId), nowMs, config.clockToleranceMs)),
      staleAfterMs: STALE_AFTER_MS,
      generatedAt: new Date(nowMs).toISOString(),
    };
    return c.json(fleet, 200);
  });

  api.post('/enrolment-tokens', async (c) => {
    requireRole(c, 'operator', { action: 'issue_enrolment_token', target: null });
    const terms = await checkedTokenTerms(store, await jsonBody(c, EnrolmentTokenTerms, 'enrolment token terms'));
    c.set('audit', { action: 'issue_enrolment_token', target: terms.placement?.siteId ?? null, detail: { businessIds: terms.businessIds ?? null, placement: terms.placement ?? null } });
    return c.json({ token: await store.devices.createToken(terms), createdAt: now().toISOString() }, 201);
  });

  api.post('/devices/:id/revoke', async (c) => {
    const target = c.req.param('id');
    requireRole(c, 'operator', { action: 'revoke_device', target: target.slice(0, 64) });
    const id = parseOrFail(DeviceId, target, 'device id');
    const { reason } = await jsonBody(c, DeviceRevocation, 'revocation');
    const revoked = await revokeDevice(store, id, reason);
    log(`device revoked from the console: ${id}`);
    return c.json(revoked, 200);
  });

  const funnelRows = async (query: Record<string, string>) => {
    const { from, to } = parseOrFail(FunnelQuery, query, 'funnel period (from and to as YYYY-MM-DD)');
    return store.health.funnelBySite(from, to);
  };

  api.get('/funnel', async (c) => {
    requireRole(c, 'operator', { action: 'view_funnel', target: null });
    return c.json({ rows: await funnelRows(c.req.query()) }, 200);
  });

  api.get('/funnel.csv', async (c) => {
    requireRole(c, 'operator', { action: 'download_funnel_csv', target: null });
    const csv = funnelCsv(await funnelRows(c.req.query()));
    return c.body(csv, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="funnel.csv"' });
  });
}
