import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, createPublicKey, verify } from 'node:crypto';
import type { Heartbeat } from '../../../shared/contract/sync.ts';
import type { AuditRecord, ChainEventRecord } from '../../../server/store/audit-export.ts';
import type { DeviceRow } from '../../../server/store/device-health.ts';
import { canonicalJson } from '../../../shared/event-bytes.ts';
import { TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-server.ts';

const MINUTE = 60_000;

let clock: TestClock;
let api: TestServer;
beforeEach(async () => {
  clock = new TestClock(Date.parse('2026-03-01T08:00:00.000Z'));
  api = await startTestServer({ now: clock.date, chainGapSettleMs: 5 * MINUTE });
});
afterEach(() => api.stop());

const heartbeat = (count: number): Heartbeat => ({
  pending: 3,
  dead: 0,
  oldestPendingAgeMs: 1200,
  lastSyncAt: '2026-03-01T10:00:00.000Z',
  appVersion: '1.0.0',
  profileVersion: '7',
  funnel: [{ day: '2026-03-01', flowId: 'atm-main', purposeId: 'balance-alerts', locale: 'ja', outcome: 'declined', count }],
});

async function devices(): Promise<DeviceRow[]> {
  const response = await api.get('/v1/admin/devices', ADMIN_TOKEN);
  expect(response.status).toBe(200);
  return ((await response.json()) as { devices: DeviceRow[] }).devices;
}

async function auditLines(query: string): Promise<AuditRecord[]> {
  const response = await api.get(`/v1/admin/audit?${query}`, ADMIN_TOKEN);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/ndjson/);
  return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);
}

describe('device health and funnel', () => {
  it('shows each device with its latest heartbeat and sums funnel counters across devices', async () => {
    const a = new TestKiosk({ clock });
    const b = new TestKiosk({ clock });
    const credentialA = await api.enrol(a);
    const credentialB = await api.enrol(b);
    expect((await api.post('/v1/devices/heartbeat', heartbeat(2), credentialA)).status).toBe(200);
    // Running totals: the second report replaces the first rather than adding to it.
    await api.post('/v1/devices/heartbeat', heartbeat(5), credentialA);
    await api.post('/v1/devices/heartbeat', heartbeat(1), credentialB);

    expect((await devices()).map((d) => [d.deviceId, d.heartbeat?.pending]).sort()).toEqual([[a.deviceId, 3], [b.deviceId, 3]].sort());
    const { counts } = (await (await api.get('/v1/admin/funnel?from=2026-03-01&to=2026-03-31', ADMIN_TOKEN)).json()) as { counts: { count: number }[] };
    expect(counts).toEqual([{ day: '2026-03-01', flowId: 'atm-main', purposeId: 'balance-alerts', locale: 'ja', outcome: 'declined', count: 6 }]);
  });

  it('refuses a heartbeat whose funnel names a purpose that is not an id, and stores nothing of it', async () => {
    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    const bad = { ...heartbeat(2), funnel: [{ ...heartbeat(2).funnel[0]!, purposeId: 'Balance Alerts!' }] };
    const response = await api.post('/v1/devices/heartbeat', bad, credential);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'invalid_request', details: [expect.objectContaining({ path: 'funnel.0.purposeId' })] });
    expect((await devices())[0]!.heartbeat).toBeNull();
  });

  it('refuses a heartbeat from an unknown device and the device list without the admin token', async () => {
    expect((await api.post('/v1/devices/heartbeat', heartbeat(1), 'unknown-credential')).status).toBe(401);
    expect((await api.get('/v1/admin/devices')).status).toBe(401);
  });
});

describe('chain gaps', () => {
  it('reports nothing when batches merely arrive out of order, and a gap that outlives the batches in flight once', async () => {
    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    const [first, second, third] = [kiosk.events(2), kiosk.events(2), kiosk.events(2)];
    await api.ingest(credential, first);
    await api.ingest(credential, third);
    expect((await devices())[0]!.chain).toEqual({
      contiguousSeq: 2,
      highestSeq: 6,
      missing: [{ fromSeq: 3, toSeq: 4, since: '2026-03-01T08:00:00.000Z', persistent: false }],
    });
    clock.advance(MINUTE);
    await api.ingest(credential, second);
    expect((await devices())[0]!.chain).toEqual({ contiguousSeq: 6, highestSeq: 6, missing: [] });
    expect(api.logs.filter((line) => line.includes('chain gap'))).toEqual([]);

    kiosk.events(1);
    await api.ingest(credential, kiosk.events(1));
    clock.advance(10 * MINUTE);
    await api.ingest(credential, kiosk.events(1));
    await api.ingest(credential, kiosk.events(1));
    expect((await devices())[0]!.chain.missing).toEqual([{ fromSeq: 7, toSeq: 7, since: '2026-03-01T08:01:00.000Z', persistent: true }]);
    expect(api.logs.filter((line) => line.includes('chain gap'))).toEqual([expect.stringContaining('is missing seq 7–7')]);
  });
});

describe('audit export', () => {
  it("gives a compliance officer a number's signed events with one business, verifiable with only the exported public key", async () => {
    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    kiosk.knownGood = false;
    await api.ingest(credential, [kiosk.event({ phone: '+819011112222' }), kiosk.event({ phone: '+819033334444', kind: 'opt_out' })]);

    const records = (await auditLines(`businessId=sakura-bank&phone=${encodeURIComponent('+819011112222')}`)) as ChainEventRecord[];
    expect(records).toHaveLength(1);
    const { event, subject, device, time } = records[0]!;
    expect(subject?.phone).toBe('+819011112222');
    expect(time).toMatchObject({ quality: 'unbounded', clockNotKnownGood: true, earliest: '2026-03-01T08:00:00.000Z', latest: '2026-03-01T08:00:00.000Z' });
    const { sig, ...body } = event;
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: device.publicKey }, format: 'jwk' });
    expect(verify(null, Buffer.from(canonicalJson(body)), key, Buffer.from(sig, 'base64url'))).toBe(true);
    expect(createHash('sha256').update(canonicalJson(subject!)).digest('hex')).toBe((event as { subject: { commitment: string } }).subject.commitment);
    expect(await auditLines(`businessId=sora-airlines&phone=${encodeURIComponent('+819011112222')}`)).toEqual([]);
  });

  it('exports every chain event that took effect in a period, in effective-time order, and refuses a query with neither', async () => {
    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    await api.ingest(credential, [await kiosk.observe(api.server.url, credential)]);
    const items = [];
    for (const minutes of [30, 60, 90]) {
      clock.nowMs = Date.parse('2026-03-01T08:00:00.000Z') + minutes * MINUTE;
      items.push(kiosk.event());
    }
    await api.ingest(credential, items);
    const records = (await auditLines('from=2026-03-01T08:45:00.000Z&to=2026-03-01T10:00:00.000Z')) as ChainEventRecord[];
    expect(records.map((r) => [r.event.seq, r.time.effectiveAt])).toEqual([
      [3, '2026-03-01T09:00:00.000Z'],
      [4, '2026-03-01T09:30:00.000Z'],
    ]);
    expect((await api.get('/v1/admin/audit', ADMIN_TOKEN)).status).toBe(400);
  });
});
