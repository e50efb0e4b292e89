import { z } from 'zod';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { E164, IsoTimestamp, Slug } from '../../shared/contract/primitives.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { requireBusiness } from '../http/require-business.ts';
import { errorResponse } from '../http/openapi-responses.ts';
import type { AuditFilter } from '../store/audit-export.ts';

const AuditQuery = z.union([
  z.object({ businessId: Slug, phone: E164 }).strict(),
  z.object({ from: IsoTimestamp, to: IsoTimestamp, businessId: Slug.optional() }).strict(),
]);

export function registerAuditRoutes(app: ApiApp, { store, log }: ApiContext): void {
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/admin/audit',
    summary: "JSON Lines: a subject's record with one business, or every chain event in a period of effective time",
    description:
      '?businessId=ID&phone=+E164: every consent event (as signed, its opening, the device key and where the terminal stood, its time with ' +
      'bounds and quality), every WhatsApp change with the delivery as received, and the business\'s changes waiting for a user id to be ' +
      'mapped. ?from=ISO&to=ISO[&businessId=ID]: chain events by effective time (from inclusive, to exclusive). Admin only; the number is never logged.',
    security: [{ admin: [] }],
    request: { query: z.object({ businessId: Slug.optional(), phone: E164.optional(), from: IsoTimestamp.optional(), to: IsoTimestamp.optional() }) },
    responses: {
      200: { description: 'application/x-ndjson, one AuditRecord per line (`record`: chain_event, whatsapp_change, pending_whatsapp_change)' },
      400: errorResponse('Neither a business and a phone nor a from/to period'),
      401: errorResponse('Missing or wrong admin token'),
      404: errorResponse('No such business'),
    },
  });

  app.get('/v1/admin/audit', async (c) => {
    const filter: AuditFilter = parseOrFail(AuditQuery, c.req.query(), 'audit query (give businessId and phone, or from and to)');
    if (filter.businessId !== undefined) await requireBusiness(store, filter.businessId);
    log(`audit export requested (${'phone' in filter ? `a number with ${filter.businessId}` : `${filter.from} to ${filter.to}`})`);
    const pages = store.audit.records(filter);
    const encoder = new TextEncoder();
    // Pulled one page at a time, so a large export neither loads the table nor holds the connection between pages.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const page = await pages.next();
        if (page.done) controller.close();
        else controller.enqueue(encoder.encode(page.value.map((record) => `${JSON.stringify(record)}\n`).join('')));
      },
    });
    return c.body(body, 200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
  });
}
