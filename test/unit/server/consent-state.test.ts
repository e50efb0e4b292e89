import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentCheckResponse, SubjectStateResponse } from '../../../shared/contract/sync.ts';
import { TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-server.ts';

const PHONE = '+819012345678';
const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

let api: TestServer;
beforeEach(async () => {
  api = await startTestServer();
});
afterEach(() => api.stop());

async function check(purposeId = 'balance-alerts', phone = PHONE): Promise<ConsentCheckResponse> {
  const response = await api.post('/v1/consent/check', { phone, purposeId }, ADMIN_TOKEN);
  expect(response.status).toBe(200);
  return ConsentCheckResponse.parse(await response.json());
}

describe('consent state', () => {
  it('answers unknown (not allowed) for a number nobody has recorded', async () => {
    expect(await check()).toEqual({ allowed: false, state: 'unknown', effectiveAt: null });
  });

  it('allows sending after an opt-in and stops after a later opt-out', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    await api.ingest(credential, [kiosk.event({ kind: 'opt_in', capturedAt: at('2026-03-01T10:00:00.000Z') })]);
    expect(await check()).toEqual({ allowed: true, state: 'opted_in', effectiveAt: '2026-03-01T10:00:00.000Z' });
    await api.ingest(credential, [kiosk.event({ kind: 'opt_out', capturedAt: at('2026-03-02T10:00:00.000Z') })]);
    expect(await check()).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it('keeps an opt-out when an older offline opt-in syncs later', async () => {
    const offline = new TestKiosk();
    const online = new TestKiosk();
    const offlineCredential = await api.enrol(offline);
    const onlineCredential = await api.enrol(online);
    const lateOptIn = offline.event({ kind: 'opt_in', capturedAt: at('2026-03-01T09:00:00.000Z') });
    await api.ingest(onlineCredential, [online.event({ kind: 'opt_out', capturedAt: at('2026-03-01T12:00:00.000Z') })]);
    await api.ingest(offlineCredential, [lateOptIn]);
    expect(await check()).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: '2026-03-01T12:00:00.000Z' });
  });

  it('lets the opt-out win when an opt-in and an opt-out carry the same time', async () => {
    const a = new TestKiosk();
    const b = new TestKiosk();
    const same = at('2026-03-01T10:00:00.000Z');
    await api.ingest(await api.enrol(a), [a.event({ kind: 'opt_out', capturedAt: same })]);
    await api.ingest(await api.enrol(b), [b.event({ kind: 'opt_in', capturedAt: same })]);
    expect(await check()).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it("orders events by the device's corrected clock: an opt-in from a kiosk an hour fast does not beat a real later opt-out", async () => {
    const fast = new TestKiosk();
    const correct = new TestKiosk();
    // Really captured at 10:00, but this kiosk's clock read 11:00; it measured server − device = −1 h.
    await api.ingest(await api.enrol(fast), [fast.event({ kind: 'opt_in', capturedAt: at('2026-03-01T11:00:00.000Z') })], -HOUR);
    await api.ingest(await api.enrol(correct), [correct.event({ kind: 'opt_out', capturedAt: at('2026-03-01T10:30:00.000Z') })]);
    expect(await check()).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: '2026-03-01T10:30:00.000Z' });
  });

  it('resolves each purpose on its own and lists the decisions behind the state', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    await api.ingest(credential, [
      kiosk.event({ kind: 'opt_in', capturedAt: at('2026-03-01T10:00:00.000Z') }),
      kiosk.event({ kind: 'opt_in', purpose: { id: 'offers', category: 'marketing' }, capturedAt: at('2026-03-01T10:00:01.000Z') }),
      kiosk.event({ kind: 'opt_out', purpose: { id: 'offers', category: 'marketing' }, capturedAt: at('2026-03-01T10:05:00.000Z') }),
    ]);
    const response = await api.post('/v1/subjects/state', { phone: PHONE }, ADMIN_TOKEN);
    const body = SubjectStateResponse.parse(await response.json());
    expect(body.purposes.map((p) => [p.purposeId, p.state]).sort()).toEqual([
      ['balance-alerts', 'opted_in'],
      ['offers', 'opted_out'],
    ]);
    expect(body.decisions.map((d) => d.kind)).toEqual(['opt_in', 'opt_in', 'opt_out']);
    expect(await check('balance-alerts', '+819099999999')).toMatchObject({ state: 'unknown' });
  });

  it('still knows the number of an event uploaded without its opening, from an earlier upload of the same subject', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const item = kiosk.event({ kind: 'opt_in' });
    await api.ingest(credential, [item]);
    await api.restart();
    expect((await api.ingest(credential, [{ ...item, subject: null }])).results[0]!.status).toBe('duplicate');
    expect(await check()).toMatchObject({ state: 'opted_in' });
  });

  it('stores an event whose opening was erased, without letting it count for any number', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const { results } = await api.ingest(credential, [{ ...kiosk.event({ kind: 'opt_in' }), subject: null }]);
    expect(results[0]!.status).toBe('accepted');
    expect(await check()).toMatchObject({ state: 'unknown', allowed: false });
  });

  it('refuses the consent check without a token', async () => {
    expect((await api.post('/v1/consent/check', { phone: PHONE, purposeId: 'offers' })).status).toBe(401);
  });
});
