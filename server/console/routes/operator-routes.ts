import type { Hono } from 'hono';
import { z } from 'zod';
import { DeviceRevocation, EnrolmentTokenTerms, FunnelQuery, ProfilePublicationRequest, type Fleet } from '../../../shared/contract/console.ts';
import { parseOrFail } from '../../../shared/contract/errors.ts';
import type { ApiContext } from '../../app.ts';
import { checkedTokenTerms, revokeDevice } from '../../routes/enrolment.ts';
import { jsonBody, requireRole, type ConsoleEnv } from '../console-session.ts';
import { fleetDevice, STALE_AFTER_MS } from '../fleet-view.ts';
import { funnelCsv } from '../funnel-csv.ts';
import type { ProfilePublisher } from '../../profiles/publish-profile.ts';

const DeviceId = z.uuid('must be a device id (a UUID)');
const PUBLICATIONS_PAGE = 200;

/** The operator's pages: the fleet (enrol, revoke) and the funnel. Nothing here carries a phone number. */
export function registerOperatorRoutes(api: Hono<ConsoleEnv>, { store, now, config, log }: ApiContext, publish: ProfilePublisher): void {
  api.get('/fleet', async (c) => {
    requireRole(c, 'operator', { action: 'view_fleet', target: null });
    const nowMs = now().getTime();
    const [rows, clocks, flagged] = await Promise.all([
      store.health.listDevices(nowMs, config.chainGapSettleMs),
      store.health.clockOffsets(),
      store.profiles.flaggedByDevice(),
    ]);
    const devices = await Promise.all(
      rows.map(async (row) => {
        const published = await store.profiles.forDevice(row.deviceId, row.placement?.siteId ?? null);
        const facts = {
          published: published && { revision: published.revision, contentHash: published.contentHash, profileVersion: published.profileVersion },
          unapprovedNotices: flagged.get(row.deviceId) ?? 0,
        };
        return fleetDevice(row, clocks.get(row.deviceId), nowMs, config.clockToleranceMs, facts);
      }),
    );
    const fleet: Fleet = {
      devices,
      staleAfterMs: STALE_AFTER_MS,
      generatedAt: new Date(nowMs).toISOString(),
    };
    return c.json(fleet, 200);
  });

  api.get('/profiles', async (c) => {
    requireRole(c, 'operator', { action: 'view_profile_publications', target: null });
    return c.json({ publications: await store.profiles.list(PUBLICATIONS_PAGE) }, 200);
  });

  api.post('/profiles', async (c) => {
    const session = requireRole(c, 'operator', { action: 'publish_profile', target: null });
    const request = await jsonBody(c, ProfilePublicationRequest, 'profile publication');
    const target = request.targets.map((named) => `${named.kind}:${named.id}`).join(',').slice(0, 200);
    c.set('audit', { action: 'publish_profile', target });
    const publications = await publish(request, `console:${session.username}`);
    const first = publications[0]!;
    c.set('audit', {
      action: 'publish_profile',
      target,
      detail: { revision: first.revision, contentHash: first.contentHash, profileId: first.profileId, profileVersion: first.profileVersion },
    });
    log(`profile revision ${first.revision} published from the console for ${publications.length} target(s)`);
    return c.json({ publications }, 201);
  });

  api.post('/enrolment-tokens', async (c) => {
    requireRole(c, 'operator', { action: 'issue_enrolment_token', target: null });
    const terms = await checkedTokenTerms(store, await jsonBody(c, EnrolmentTokenTerms, 'enrolment token terms'));
    c.set('audit', { action: 'issue_enrolment_token', target: terms.placement?.siteId ?? null, detail: { businessIds: terms.businessIds ?? null, placement: terms.placement ?? null, validHours: terms.validHours ?? null } });
    return c.json(await store.devices.issueToken(terms), 201);
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
