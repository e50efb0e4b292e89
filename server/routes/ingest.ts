import { IngestBatch, IngestResponse } from '../../shared/contract/sync.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { requireDevice } from '../http/bearer-auth.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';
import { readBody } from '../http/read-body.ts';
import { ingestBatch } from '../ingest/ingest-batch.ts';
import { sharedVerifyPool } from '../ingest/verify-pool.ts';
import type { ChainGap } from '../store/event-store.ts';

export const INGEST_PATH = '/v1/ingest';

export function registerIngestRoutes(app: ApiApp, { store, log, now, config, ingestWriter }: ApiContext): void {
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

  app.post(INGEST_PATH, requireDevice(store.devices), async (c) => {
    const device = c.get('device');
    const body = await readBody(c, config.bodyLimitBytes);
    const businesses = (await store.businesses.current()).list();
    const { response, counts, stored } = await ingestBatch(body, device, ingestWriter, store.statements, businesses, now, pool);
    log(`ingest ${device.id}: ${counts.accepted} accepted, ${counts.duplicate} duplicate, ${counts.rejected} rejected`);
    for (const { seq, fault } of stored.voidObservations) log(`clock observation #${seq} of ${device.id} is void (${fault}): stored, never used for time`);
    reportGap(device.id, stored.gap);
    return c.json(response, 200);
  });
}
