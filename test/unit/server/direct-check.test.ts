import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ApiApp } from '../../../server/app.ts';
import { parseServerConfig } from '../../../server/config.ts';
import { startIngestWriter, type IngestWriter } from '../../../server/ingest/ingest-writer.ts';
import { TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, TEST_BUSINESSES, startTestServer, type TestServer } from './test-server.ts';

const PHONE = '+819012345678';
const OFFERS = { id: 'offers', category: 'marketing' } as const;
const READER_TOKEN = 'direct-check-reader-token-0123456789';
const json = { 'content-type': 'application/json' };
const asAdmin = { ...json, authorization: `Bearer ${ADMIN_TOKEN}` };
const body = (fields: Record<string, unknown>) => JSON.stringify({ businessId: 'sakura-bank', phone: PHONE, purposeId: 'balance-alerts', ...fields });

let clock: TestClock;
let api: TestServer;
let app: ApiApp;
let writer: IngestWriter;
let optedInAt: string;
beforeAll(async () => {
  clock = new TestClock(Date.parse('2026-03-01T08:00:00.000Z'));
  const options = { adminToken: ADMIN_TOKEN, consentReaderToken: READER_TOKEN, businesses: TEST_BUSINESSES };
  api = await startTestServer({ ...options, now: clock.date });
  const kiosk = new TestKiosk({ clock });
  const credential = await api.enrol(kiosk);
  await api.ingest(credential, [await kiosk.observe(api.server.url, credential)]);
  optedInAt = clock.date().toISOString();
  await api.ingest(credential, [kiosk.event({ kind: 'opt_in' }), kiosk.event({ kind: 'opt_out', purpose: OFFERS })]);
  clock.advance(3_600_000);
  // hono's app over the same store: the route the direct path stands in front of (the writer's thread never starts)
  const config = parseServerConfig({ dataDir: api.dataDir, databaseUrl: api.databaseUrl, ...options });
  writer = startIngestWriter(config, () => {});
  app = createApp({ store: api.server.store, ingestWriter: writer, config, log: () => {}, now: clock.date });
});
afterAll(async () => {
  await writer?.close();
  await api?.stop();
});

async function answerOf(response: Response) {
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

describe('POST /v1/consent/check answered ahead of hono', () => {
  const cases: [string, RequestInit, string?][] = [
    ['an opted-in number', { headers: asAdmin, body: body({}) }],
    ['an opted-out purpose, with the reader token', { headers: { ...json, authorization: `Bearer ${READER_TOKEN}` }, body: body({ purposeId: 'offers' }) }],
    ['a number never seen', { headers: asAdmin, body: body({ phone: '+819099999999' }) }],
    ['a past time (an audit of a send)', { headers: asAdmin, body: body({ asOf: '2026-03-01T07:00:00.000Z' }) }],
    ['a query string', { headers: asAdmin, body: body({}) }, '?trace=1'],
    ['no token', { headers: json, body: body({}) }],
    ['a wrong token', { headers: { ...json, authorization: 'Bearer not-the-token' }, body: body({}) }],
    ['malformed JSON', { headers: asAdmin, body: '{"businessId":' }],
    ['a body that is not JSON by its type', { headers: { ...asAdmin, 'content-type': 'text/plain' }, body: body({}) }],
    ['a JSON type with parameters', { headers: { ...asAdmin, 'content-type': 'application/json; charset=utf-8' }, body: body({}) }],
    ['a body of no type', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: new TextEncoder().encode(body({})) }],
    ['no type and no body', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }],
    ['a number that is not E.164', { headers: asAdmin, body: body({ phone: '090-1234' }) }],
    ['a field the schema does not know', { headers: asAdmin, body: body({ campaign: 'x' }) }],
    ['a business nobody registered', { headers: asAdmin, body: body({ businessId: 'no-such-bank' }) }],
    ['a body over the limit', { headers: asAdmin, body: body({ padding: 'x'.repeat(3 * 1024 * 1024) }) }],
  ];

  it.each(cases)('answers %s exactly as the hono route does', async (_, init, query = '') => {
    const request = { ...init, method: 'POST' };
    const direct = await answerOf(await fetch(`${api.server.url}/v1/consent/check${query}`, request));
    expect(direct).toEqual(await answerOf(await app.request(`/v1/consent/check${query}`, request)));
    expect(direct.type).toBe('application/json');
  });

  it('answers from the state ingest keeps: allowed after the opt-in, not after the opt-out, and refusals as KioskErrors', async () => {
    const post = (name: string) => fetch(`${api.server.url}/v1/consent/check`, { ...cases.find(([named]) => named === name)![1], method: 'POST' }).then(answerOf);
    expect(await post('an opted-in number')).toEqual({
      status: 200,
      type: 'application/json',
      body: { businessId: 'sakura-bank', allowed: true, state: 'opted_in', effectiveAt: optedInAt, timeQuality: 'bounded' },
    });
    expect((await post('an opted-out purpose, with the reader token')).body).toMatchObject({ allowed: false, state: 'opted_out' });
    expect(await post('a wrong token')).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    expect(await post('a number that is not E.164')).toMatchObject({ status: 400, body: { code: 'invalid_request', message: expect.stringContaining('phone') } });
    expect(await post('a body over the limit')).toMatchObject({ status: 413, body: { code: 'invalid_request' } });
  });
});
