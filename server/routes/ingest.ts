import { IngestBatch, IngestResponse } from '../../shared/contract/sync.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { requireDevice } from '../http/bearer-auth.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';
import { readBody } from '../http/read-body.ts';
import { ingestBatch } from '../ingest/ingest-batch.ts';
import { sharedVerifyPool } from '../ingest/verify-pool.ts';
import type { ChainGap } from '../store/event-store.ts';

export const INGEST_PATH = '/v1/ingest';

/** `checkNotices`: the API knows the provisioning key, so published profiles approve notices and others are flagged. */
export function registerIngestRoutes(app: ApiApp, { store, log, now, config, ingestWriter }: ApiContext, { checkNotices }: { checkNotices: boolean }): void {
  // Documented here, parsed on a verify worker: the batch envelope is validated whole, each event on its own.
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: INGEST_PATH,
    summary: 'Upload a batch of signed chain events; per-event results (accepted, duplicate, rejected with reason) and the signed head',
    security: [{ device: [] }],
    request: { body: jsonBody(IngestBatch) },
    responses: {
      200: { description: 'Every accepted event is durably stored', content: { 'application/json': { schema: IngestResponse } } },
      400: errorResponse('Malformed batch (nothing stored)'),
      401: errorResponse('Unknown, replaced or revoked device credential: enrol again'),
      413: errorResponse('Body too large'),
      503: errorResponse('Storage unavailable (nothing stored): retry'),
    },
  });

  const pool = sharedVerifyPool();
  void pool.warm().catch((error: unknown) => log(`verify workers not started yet: ${(error as Error).message}`));

  // Batches arrive out of order (a kiosk keeps several in flight), so a gap is reported only once it has outlived
  // them: when it is still open `chainGapSettleMs` after the event beyond it arrived. Once per gap.
  const reportedGaps = new Set<string>();
  const reportGap = (deviceId: string, gap: ChainGap | null): void => {
    if (!gap || now().getTime() - gap.sinceMs < config.chainGapSettleMs) return;
    const key = `${deviceId}:${gap.fromSeq}`;
    if (reportedGaps.has(key)) return;
    reportedGaps.add(key);
    log(`chain gap: device ${deviceId} is missing seq ${gap.fromSeq}–${gap.toSeq} (open since ${new Date(gap.sinceMs).toISOString()})`);
  };

  // After the events are stored and before the batch is answered: an event is kept whatever it shows (it is signed
  // proof of what was shown); a sentence no published profile approves is flagged beside it. If the API stops
  // between the two, the kiosk sends the batch again and its duplicates are checked then.
  const flagUnapproved = async (deviceId: string, notices: { eventId: string; textHash: string }[]) => {
    const unapproved = await store.profiles.unapproved(notices.map((notice) => notice.textHash));
    const flagged = notices.filter((notice) => unapproved.has(notice.textHash));
    if (flagged.length === 0) return;
    await store.profiles.flag(deviceId, flagged);
    log(`notice check: ${flagged.length} consent event(s) of ${deviceId} show a sentence no published profile approves`);
  };

  app.post(INGEST_PATH, requireDevice(store.devices), async (c) => {
    const device = c.get('device');
    const body = await readBody(c, config.bodyLimitBytes);
    const businesses = (await store.businesses.current()).list();
    const { response, counts, stored, consentNotices } = await ingestBatch(body, device, ingestWriter, store.statements, businesses, now, pool);
    log(`ingest ${device.id}: ${counts.accepted} accepted, ${counts.duplicate} duplicate, ${counts.rejected} rejected`);
    if (checkNotices && consentNotices.length > 0) await flagUnapproved(device.id, consentNotices);
    for (const { seq, fault } of stored.voidObservations) log(`clock observation #${seq} of ${device.id} is void (${fault}): stored, never used for time`);
    reportGap(device.id, stored.gap);
    return c.json(response, 200);
  });
}
