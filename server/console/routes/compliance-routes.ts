import type { Hono } from 'hono';
import type { z } from 'zod';
import { ErasureRequest, SubjectQuery, type SubjectQuery as Subject } from '../../../shared/contract/console.ts';
import { maskPhone } from '../../../shared/phone.ts';
import type { ApiContext } from '../../app.ts';
import { requireBusiness } from '../../http/require-business.ts';
import { jsonBody, requireRole, type ConsoleContext, type ConsoleEnv } from '../console-session.ts';
import { createReceiptIssuer } from '../receipt-issuer.ts';
import { subjectRecords, subjectTimeline } from '../subject-timeline.ts';

/**
 * The compliance officer's pages: one number with one business — its timeline, the access request (everything held,
 * as a file) and the erasure. Numbers travel in POST bodies, never URLs; the audit log keeps the masked number and
 * its keyed hash (which finds the entries again for a number, and gives the number to no one).
 */
export function registerComplianceRoutes(api: Hono<ConsoleEnv>, { store, now, log, config }: ApiContext): void {
  const issuer = createReceiptIssuer(config.receiptProfiles, store.statements.receiptSigner, now);

  async function subject<S extends z.ZodType<Subject>>(c: ConsoleContext, action: string, schema: S): Promise<z.output<S>> {
    requireRole(c, 'compliance', { action, target: null });
    const query = await jsonBody(c, schema, 'subject (businessId and an E.164 phone number)');
    c.set('audit', { action, target: `${maskPhone(query.phone)} with ${query.businessId}`, detail: { businessId: query.businessId, phoneKey: store.lookup(query.phone) } });
    await requireBusiness(store, query.businessId);
    return query;
  }

  api.post('/subjects/timeline', async (c) => {
    const { businessId, phone } = await subject(c, 'view_subject_timeline', SubjectQuery);
    return c.json(await subjectTimeline(store, businessId, phone), 200);
  });

  api.post('/subjects/access', async (c) => {
    const { businessId, phone } = await subject(c, 'access_request', SubjectQuery);
    const records = (await subjectRecords(store, businessId, phone)).filter((record) => record.record !== 'pending_whatsapp_change');
    const { states } = await subjectTimeline(store, businessId, phone);
    const file = { kind: 'access_request', businessId, phone, generatedAt: now().toISOString(), states, records };
    return c.body(`${JSON.stringify(file, null, 2)}\n`, 200, {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="access-request-${businessId}.json"`,
    });
  });

  api.post('/subjects/receipts', async (c) => {
    const { businessId, phone } = await subject(c, 'download_receipts', SubjectQuery);
    const receipts = await issuer.receipts(businessId, await subjectRecords(store, businessId, phone));
    return c.body(receipts.map((receipt) => `${JSON.stringify(receipt)}\n`).join(''), 200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="receipts-${businessId}.jsonl"`,
    });
  });

  api.post('/subjects/erase', async (c) => {
    const { businessId, phone } = await subject(c, 'erasure_request', ErasureRequest);
    const outcome = await store.erasure.erase(phone, businessId);
    const note = c.get('audit')!;
    c.set('audit', { ...note, detail: { ...note.detail, ...outcome } });
    log(`subject erased from the console with ${businessId}: ${outcome.openings} opening(s), ${outcome.whatsappChanges} WhatsApp change(s)`);
    return c.json(outcome, 200);
  });
}
