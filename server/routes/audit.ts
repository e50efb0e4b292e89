import { z } from 'zod';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { E164, IsoTimestamp } from '../../shared/contract/primitives.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { errorResponse } from '../http/openapi-responses.ts';
import type { AuditFilter } from '../store/audit-export.ts';

const AuditQuery = z.union([
  z.object({ phone: E164 }).strict(),
  z.object({ from: IsoTimestamp, to: IsoTimestamp }).strict(),
]);

export function registerAuditRoutes(app: ApiApp, { store, log }: ApiContext): void {
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/admin/audit',
    summary: 'JSON Lines of stored events (as signed), their openings and device public keys, by number or capture period',
    description: 'Either ?phone=+E164 or ?from=ISO&to=ISO (captured_at, from inclusive, to exclusive). Admin only; the number is never logged.',
    security: [{ admin: [] }],
    request: { query: z.object({ phone: E164.optional(), from: IsoTimestamp.optional(), to: IsoTimestamp.optional() }) },
    responses: {
      200: { description: 'application/x-ndjson, one AuditRecord per line' },
      400: errorResponse('Neither a phone nor a from/to period'),
      401: errorResponse('Missing or wrong admin token'),
    },
  });

  app.get('/v1/admin/audit', (c) => {
    const filter: AuditFilter = parseOrFail(AuditQuery, c.req.query(), 'audit query (give phone, or from and to)');
    log(`audit export requested (${'phone' in filter ? 'by number' : `${filter.from} to ${filter.to}`})`);
    const pages = store.audit.records(filter);
    const encoder = new TextEncoder();
    // Pulled one page at a time, so a large export neither loads the table nor holds the connection between pages.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const page = pages.next();
        if (page.done) controller.close();
        else controller.enqueue(encoder.encode(page.value.map((record) => `${JSON.stringify(record)}\n`).join('')));
      },
    });
    return c.body(body, 200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
  });
}
