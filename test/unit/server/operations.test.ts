import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, createPublicKey, verify } from 'node:crypto';
import type { Heartbeat } from '../../../shared/contract/sync.ts';
import type { AuditRecord } from '../../../server/store/audit-export.ts';
import { canonicalJson } from '../../../shared/event-bytes.ts';
import { TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-server.ts';

let api: TestServer;
beforeEach(async () => {
  api = await startTestServer();
});
afterEach(() => api.stop());

const adminGet = (path: string) => fetch(`${api.server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

const heartbeat = (count: number): Heartbeat => ({
  pending: 3,
  dead: 0,
  oldestPendingAgeMs: 1200,
  lastSyncAt: '2026-03-01T10:00:00.000Z',
  appVersion: '1.0.0',
  profileVersion: '7',
  funnel: [{ day: '2026-03-01', flowId: 'atm-main', purposeId: 'balance-alerts', locale: 'ja', outcome: 'declined', count }],
});

async function auditLines(query: string): Promise<AuditRecord[]> {
  const response = await adminGet(`/v1/admin/audit?${query}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/ndjson/);
  return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);
}

describe('device health and funnel', () => {
  it('shows each device with its latest heartbeat and sums funnel counters across devices', async () => {
    const a = new TestKiosk();
    const b = new TestKiosk();
    const credentialA = await api.enrol(a);
    const credentialB = await api.enrol(b);
    expect((await api.post('/v1/devices/heartbeat', heartbeat(2), credentialA)).status).toBe(200);
    // Running totals: the second report replaces the first rather than adding to it.
    await api.post('/v1/devices/heartbeat', heartbeat(5), credentialA);
    await api.post('/v1/devices/heartbeat', heartbeat(1), credentialB);

    const { devices } = (await (await adminGet('/v1/admin/devices')).json()) as { devices: { deviceId: string; heartbeat: { pending: number } | null }[] };
    expect(devices.map((d) => [d.deviceId, d.heartbeat?.pending]).sort()).toEqual([[a.deviceId, 3], [b.deviceId, 3]].sort());
    const { counts } = (await (await adminGet('/v1/admin/funnel?from=2026-03-01&to=2026-03-31')).json()) as { counts: { count: number }[] };
    expect(counts).toEqual([{ day: '2026-03-01', flowId: 'atm-main', purposeId: 'balance-alerts', locale: 'ja', outcome: 'declined', count: 6 }]);
  });

  it('refuses a heartbeat from an unknown device and the device list without the admin token', async () => {
    expect((await api.post('/v1/devices/heartbeat', heartbeat(1), 'unknown-credential')).status).toBe(401);
    expect((await fetch(`${api.server.url}/v1/admin/devices`)).status).toBe(401);
  });
});

describe('audit export', () => {
  it("gives a compliance officer a number's signed events, verifiable with only the exported public key", async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    await api.ingest(credential, [kiosk.event({ phone: '+819011112222' }), kiosk.event({ phone: '+819033334444', kind: 'opt_out' })]);

    const records = await auditLines(`phone=${encodeURIComponent('+819011112222')}`);
    expect(records).toHaveLength(1);
    const { event, subject, device } = records[0]!;
    expect(subject?.phone).toBe('+819011112222');
    const { sig, ...body } = event;
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: device.publicKey }, format: 'jwk' });
    expect(verify(null, Buffer.from(canonicalJson(body)), key, Buffer.from(sig, 'base64url'))).toBe(true);
    expect(createHash('sha256').update(canonicalJson(subject!)).digest('hex')).toBe(event.subject.commitment);
  });

  it('exports every event captured in a period, and refuses a query with neither number nor period', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    await api.ingest(credential, [
      kiosk.event({ capturedAt: new Date('2026-02-28T23:59:59.000Z') }),
      kiosk.event({ capturedAt: new Date('2026-03-01T00:00:00.000Z') }),
      kiosk.event({ capturedAt: new Date('2026-03-31T12:00:00.000Z') }),
    ]);
    const records = await auditLines('from=2026-03-01T00:00:00.000Z&to=2026-04-01T00:00:00.000Z');
    expect(records.map((r) => r.event.seq)).toEqual([2, 3]);
    expect((await adminGet('/v1/admin/audit')).status).toBe(400);
  });
});
