import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KioskError } from '../../../shared/contract/errors.ts';
import { TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startWithEnrolledKiosk, type TestServer } from './test-server.ts';

let api: TestServer;
let kiosk: TestKiosk;
let credential: string;
beforeEach(async () => ({ api, kiosk, credential } = await startWithEnrolledKiosk()));
afterEach(() => api.stop());

async function expectRefusal(response: Response, status: number): Promise<KioskError> {
  expect(response.status).toBe(status);
  const body = KioskError.parse(await response.json());
  expect(JSON.stringify(body)).not.toMatch(/\bat .+:\d+:\d+/);
  return body;
}

/** After any refusal the server must still take a real batch and have stored nothing else. */
async function expectStillServingWithNothingStored(): Promise<void> {
  const item = kiosk.event();
  const { results } = await api.ingest(credential, [item]);
  expect(results).toEqual([{ id: item.event.id, status: 'accepted' }]);
}

describe('bad input at the API boundary', () => {
  it('answers malformed JSON with 400 invalid_request', async () => {
    const body = await expectRefusal(await api.post('/v1/ingest', '{"clockOffsetMs": 0, "events": [', credential), 400);
    expect(body).toMatchObject({ code: 'invalid_request', message: 'The request body is not valid JSON.' });
    await expectRefusal(await api.post('/v1/devices/enrol', '{nope'), 400);
    await expectStillServingWithNothingStored();
  });

  it('answers wrong types with 400 naming the field', async () => {
    const body = await expectRefusal(await api.post('/v1/ingest', { clockOffsetMs: 'soon', events: [kiosk.event()] }, credential), 400);
    expect(body.details?.[0]?.path).toBe('clockOffsetMs');
    const enrol = await expectRefusal(await api.post('/v1/devices/enrol', { token: 42 }), 400);
    expect(enrol.details?.map((d) => d.path)).toContain('token');
    await expectRefusal(await api.post('/v1/ingest', { clockOffsetMs: 0, events: [] }, credential), 400);
    kiosk.rewind(0);
    await expectStillServingWithNothingStored();
  });

  it('answers an oversized body with 413 before reading it all', async () => {
    const huge = JSON.stringify({ clockOffsetMs: 0, events: [kiosk.event()], padding: 'x'.repeat(3 * 1024 * 1024) });
    await expectRefusal(await api.post('/v1/ingest', huge, credential), 413);
    kiosk.rewind(0);
    await expectStillServingWithNothingStored();
  });

  it('answers a consent check that is not JSON, names a wrong field, is oversized or asks too much as it answers any request', async () => {
    for (const path of ['/v1/consent/check', '/v1/consent/check-batch', '/v1/subjects/state']) {
      expect(await expectRefusal(await api.post(path, '{"businessId": "sakura-bank", ', ADMIN_TOKEN), 400)).toMatchObject({ code: 'invalid_request' });
      const huge = JSON.stringify({ businessId: 'sakura-bank', phone: '+819012345678', purposeId: 'offers', padding: 'x'.repeat(3 * 1024 * 1024) });
      expect(await expectRefusal(await api.post(path, huge, ADMIN_TOKEN), 413)).toMatchObject({ code: 'invalid_request' });
    }
    const wrong = await expectRefusal(await api.post('/v1/consent/check', { businessId: 'sakura-bank', phone: '090-1234', purposeId: 'offers' }, ADMIN_TOKEN), 400);
    expect(wrong.details?.map((d) => d.path)).toEqual(['phone']);
    const items = Array.from({ length: 1001 }, (_, i) => ({ phone: `+8190${10_000_000 + i}` }));
    const tooMany = await expectRefusal(await api.post('/v1/consent/check-batch', { businessId: 'sakura-bank', purposeId: 'offers', items }, ADMIN_TOKEN), 400);
    expect(tooMany.details?.map((d) => d.path)).toEqual(['items']);
    expect(await api.check('+819012345678', 'offers')).toMatchObject({ allowed: false, state: 'unknown' });
  });

  it('answers an oversized ingest body sent without a length (chunked) with 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(256 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 12) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${api.server.url}/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
      body,
      duplex: 'half',
    } as RequestInit);
    await expectRefusal(response, 413);
    kiosk.rewind(0);
    await expectStillServingWithNothingStored();
  });

  it('rejects an event carrying text that is not I-JSON (a lone surrogate), which no other RFC 8785 implementation could re-verify', async () => {
    const kiosk2 = new TestKiosk();
    const credential2 = await api.enrol(kiosk2);
    const inName = kiosk2.event({ business: { id: 'sakura-bank', name: 'Sakura Bank \ud800', whatsappNumber: '+81312345678' } });
    const inReference = kiosk2.event({ customerRef: 'card \udfff 1234' });
    const { results } = await api.ingest(credential2, [inName, inReference]);
    expect(results).toEqual([
      expect.objectContaining({ status: 'rejected', reason: 'invalid_event', message: expect.stringContaining('event.business.name') }),
      expect.objectContaining({ status: 'rejected', reason: 'invalid_event', message: expect.stringContaining('subject.customerRef') }),
    ]);
  });

  it('answers an unknown endpoint with a 404 KioskError', async () => {
    expect((await expectRefusal(await api.post('/v1/nowhere', {}), 404)).code).toBe('not_found');
  });

  it('answers a batch larger than the protocol allows with 400 and stores none of it', async () => {
    const items = kiosk.events(501);
    await expectRefusal(await api.post('/v1/ingest', { clockOffsetMs: 0, events: items }, credential), 400);
    kiosk.rewind(0);
    await expectStillServingWithNothingStored();
  });
});
