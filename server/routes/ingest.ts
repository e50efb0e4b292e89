import { IngestBatch, IngestResponse } from '../../shared/contract/sync.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { requireDevice } from '../http/bearer-auth.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';
import { readBody } from '../http/read-body.ts';
import { ingestBatch } from '../ingest/ingest-batch.ts';
import { sharedVerifyPool } from '../ingest/verify-pool.ts';

export const INGEST_PATH = '/v1/ingest';

export function registerIngestRoutes(app: ApiApp, { store, log, now, config }: ApiContext): void {
  // Documented here, parsed on a verify worker: the batch envelope is validated whole, each event on its own.
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: INGEST_PATH,
    summary: 'Upload a batch of signed consent events; per-event results (accepted, duplicate, rejected with reason)',
    security: [{ device: [] }],
    request: { body: jsonBody(IngestBatch) },
    responses: {
      200: { description: 'Every accepted event is durably stored', content: { 'application/json': { schema: IngestResponse } } },
      400: errorResponse('Malformed batch (nothing stored)'),
      401: errorResponse('Unknown device credential: enrol again'),
      413: errorResponse('Body too large'),
      503: errorResponse('Storage unavailable (nothing stored): retry'),
    },
  });

  const pool = sharedVerifyPool();
  void pool.warm().catch((error: unknown) => log(`verify workers not started yet: ${(error as Error).message}`));

  app.post(INGEST_PATH, requireDevice(store.devices), async (c) => {
    const device = c.get('device');
    const { response, counts } = await ingestBatch(await readBody(c, config.bodyLimitBytes), device, store.events, now, pool);
    log(`ingest ${device.id}: ${counts.accepted} accepted, ${counts.duplicate} duplicate, ${counts.rejected} rejected`);
    return c.json(response, 200);
  });
}
