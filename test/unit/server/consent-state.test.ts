import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentCheckBatchResponse, SubjectStateResponse } from '../../../shared/contract/sync.ts';
import { SORA_AIRLINES, TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-server.ts';

const PHONE = '+819012345678';
const OFFERS = { id: 'offers', category: 'marketing' } as const;
const HOUR = 3_600_000;
const at = (hhmm: string) => `2026-03-01T${hhmm}:00.000Z`;

let clock: TestClock;
let api: TestServer;
beforeEach(async () => {
  clock = new TestClock(Date.parse(at('08:00')));
  api = await startTestServer({ now: clock.date });
});
afterEach(() => api.stop());

/** An enrolled kiosk that has synced once, so its events are placed by its monotonic clock. */
async function syncedKiosk(): Promise<{ kiosk: TestKiosk; credential: string }> {
  const kiosk = new TestKiosk({ clock });
  const credential = await api.enrol(kiosk);
  await api.ingest(credential, [await kiosk.observe(api.server.url, credential)]);
  return { kiosk, credential };
}

async function subjectState(businessId = 'sakura-bank', phone = PHONE): Promise<SubjectStateResponse> {
  const response = await api.post('/v1/subjects/state', { businessId, phone }, ADMIN_TOKEN);
  expect(response.status).toBe(200);
  return SubjectStateResponse.parse(await response.json());
}

describe('consent state', () => {
  it('answers unknown (not allowed) for a number nobody has recorded', async () => {
    expect(await api.check(PHONE, 'balance-alerts')).toEqual({ businessId: 'sakura-bank', allowed: false, state: 'unknown', effectiveAt: null, timeQuality: null });
  });

  it('allows sending after an opt-in and stops after a later opt-out', async () => {
    const { kiosk, credential } = await syncedKiosk();
    clock.advance(2 * HOUR);
    await api.ingest(credential, [kiosk.event({ kind: 'opt_in' })]);
    expect(await api.check(PHONE, 'balance-alerts')).toEqual({
      businessId: 'sakura-bank',
      allowed: true,
      state: 'opted_in',
      effectiveAt: at('10:00'),
      timeQuality: 'bounded',
    });
    clock.advance(HOUR);
    await api.ingest(credential, [kiosk.event({ kind: 'opt_out' })]);
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it('keeps an opt-out when an older offline opt-in syncs later', async () => {
    const offline = await syncedKiosk();
    const online = await syncedKiosk();
    clock.advance(HOUR);
    const lateOptIn = offline.kiosk.event({ kind: 'opt_in' });
    clock.advance(3 * HOUR);
    await api.ingest(online.credential, [online.kiosk.event({ kind: 'opt_out' })]);
    clock.advance(HOUR);
    await api.ingest(offline.credential, [lateOptIn]);
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: at('12:00') });
  });

  it('lets the opt-out win when an opt-in and an opt-out take effect at the same instant, whichever was stored first', async () => {
    for (const order of [['opt_out', 'opt_in'], ['opt_in', 'opt_out']] as const) {
      const phone = order[0] === 'opt_out' ? '+819011110000' : '+819022220000';
      const a = await syncedKiosk();
      const b = await syncedKiosk();
      const first = a.kiosk.event({ kind: order[0], phone });
      const second = b.kiosk.event({ kind: order[1], phone });
      await api.ingest(a.credential, [first]);
      await api.ingest(b.credential, [second]);
      expect(await api.check(phone, 'balance-alerts')).toMatchObject({ allowed: false, state: 'opted_out' });
    }
  });

  it("scopes consent to the business: an airline's offers opt-in never allows the bank's offers", async () => {
    const airline = await syncedKiosk();
    await api.ingest(airline.credential, [airline.kiosk.event({ kind: 'opt_in', purpose: OFFERS, business: SORA_AIRLINES })]);
    expect(await api.check(PHONE, 'offers', 'sora-airlines')).toMatchObject({ businessId: 'sora-airlines', allowed: true });
    expect(await api.check(PHONE, 'offers', 'sakura-bank')).toMatchObject({ businessId: 'sakura-bank', allowed: false, state: 'unknown' });
    expect((await subjectState('sakura-bank')).purposes).toEqual([]);
  });

  it('answers a one-purpose campaign check for many numbers in the order asked, each number by its own decision', async () => {
    const { kiosk, credential } = await syncedKiosk();
    const [inPhone, outPhone, airlinePhone, unknownPhone] = ['+819011112222', '+819033334444', '+819055556666', '+819077778888'];
    await api.ingest(credential, [
      kiosk.event({ kind: 'opt_in', phone: inPhone, purpose: OFFERS }),
      kiosk.event({ kind: 'opt_out', phone: outPhone, purpose: OFFERS }),
      kiosk.event({ kind: 'opt_in', phone: outPhone }),
      kiosk.event({ kind: 'opt_in', phone: airlinePhone, purpose: OFFERS, business: SORA_AIRLINES }),
    ]);
    const asked = [outPhone, unknownPhone, inPhone, airlinePhone, outPhone];
    const response = await api.post('/v1/consent/check-batch', { businessId: 'sakura-bank', purposeId: 'offers', items: asked.map((phone) => ({ phone })) }, ADMIN_TOKEN);
    expect(response.status).toBe(200);
    const { results } = ConsentCheckBatchResponse.parse(await response.json());
    expect(results.map((r) => [r.phone, r.purposeId, r.allowed, r.state])).toEqual([
      [outPhone, 'offers', false, 'opted_out'],
      [unknownPhone, 'offers', false, 'unknown'],
      [inPhone, 'offers', true, 'opted_in'],
      [airlinePhone, 'offers', false, 'unknown'],
      [outPhone, 'offers', false, 'opted_out'],
    ]);
  });

  it('refuses a check for a business it does not know with 404', async () => {
    const response = await api.post('/v1/consent/check', { businessId: 'no-such-bank', phone: PHONE, purposeId: 'offers' }, ADMIN_TOKEN);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not_found' });
  });

  it('resolves each purpose on its own and lists the decisions behind the state in the order they count', async () => {
    const { kiosk, credential } = await syncedKiosk();
    const items = [kiosk.event({ kind: 'opt_in' })];
    clock.advance(1_000);
    items.push(kiosk.event({ kind: 'opt_in', purpose: OFFERS }));
    clock.advance(5 * 60_000);
    items.push(kiosk.event({ kind: 'opt_out', purpose: OFFERS }));
    await api.ingest(credential, items.reverse());
    const body = await subjectState();
    expect(body.purposes.map((p) => [p.purposeId, p.state, p.timeQuality])).toEqual([
      ['balance-alerts', 'opted_in', 'bounded'],
      ['offers', 'opted_out', 'bounded'],
    ]);
    expect(body.decisions.map((d) => [d.purposeId, d.kind])).toEqual([
      ['balance-alerts', 'opt_in'],
      ['offers', 'opt_in'],
      ['offers', 'opt_out'],
    ]);
    expect(await api.check('+819099999999', 'balance-alerts')).toMatchObject({ state: 'unknown' });
  });

  it('still knows the number of an event uploaded without its opening, from an earlier upload of the same subject', async () => {
    const { kiosk, credential } = await syncedKiosk();
    const item = kiosk.event({ kind: 'opt_in' });
    await api.ingest(credential, [item]);
    await api.restart();
    expect((await api.ingest(credential, [{ ...item, subject: null }])).results[0]!.status).toBe('duplicate');
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ state: 'opted_in' });
  });

  it('stores an event whose opening was erased on the device, without letting it count for any number', async () => {
    const { kiosk, credential } = await syncedKiosk();
    const { results } = await api.ingest(credential, [{ ...kiosk.event({ kind: 'opt_in' }), subject: null }]);
    expect(results[0]!.status).toBe('accepted');
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ state: 'unknown', allowed: false });
  });

  it('counts an event stored without its opening once a later event of the same capture brings the opening', async () => {
    const { kiosk, credential } = await syncedKiosk();
    const alerts = kiosk.event({ kind: 'opt_in' });
    await api.ingest(credential, [{ ...alerts, subject: null }]);
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ state: 'unknown' });
    clock.advance(1_000);
    await api.ingest(credential, [kiosk.event({ kind: 'opt_in', purpose: OFFERS, opening: alerts.subject! })]);
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ allowed: true, state: 'opted_in', effectiveAt: at('08:00') });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: true, state: 'opted_in' });
  });

  it('refuses the consent check without a token', async () => {
    expect((await api.post('/v1/consent/check', { businessId: 'sakura-bank', phone: PHONE, purposeId: 'offers' })).status).toBe(401);
  });
});
