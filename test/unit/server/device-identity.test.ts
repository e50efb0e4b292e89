import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KioskError } from '../../../shared/contract/errors.ts';
import { DeviceKeys, EnrolmentResponse, type Heartbeat } from '../../../shared/contract/sync.ts';
import type { Placement } from '../../../shared/contract/primitives.ts';
import type { AuditRecord } from '../../../server/store/audit-export.ts';
import { SAKURA_BANK, SORA_AIRLINES, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-server.ts';

const SHINJUKU: Placement = { organisationUnit: 'Retail banking', siteId: 'shinjuku', siteName: 'Shinjuku branch', terminalId: 'ATM 0413' };
const SHIBUYA: Placement = { organisationUnit: 'Retail banking', siteId: 'shibuya', siteName: 'Shibuya branch', terminalId: 'ATM 0413' };

let api: TestServer;
beforeEach(async () => {
  api = await startTestServer();
});
afterEach(() => api.stop());

async function enrolWith(kiosk: TestKiosk, token: string, placement?: Placement): Promise<Response> {
  return api.post('/v1/devices/enrol', kiosk.enrolmentRequest(token, placement));
}

async function credentialOf(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  return EnrolmentResponse.parse(await response.json()).credential;
}

async function keysOf(deviceId: string): Promise<DeviceKeys> {
  const response = await api.get(`/v1/devices/${deviceId}/keys`);
  expect(response.status).toBe(200);
  return DeviceKeys.parse(await response.json());
}

async function reEnrolmentToken(deviceId: string, terms: object = {}): Promise<Response> {
  return api.post(`/v1/admin/devices/${deviceId}/re-enrolment-token`, terms, ADMIN_TOKEN);
}

const heartbeat = (placement?: Placement): Heartbeat => ({
  pending: 0,
  dead: 0,
  oldestPendingAgeMs: null,
  lastSyncAt: null,
  appVersion: '1.0.0',
  profileVersion: '7',
  ...(placement ? { placement } : {}),
  funnel: [],
});

/** An attacker's kiosk that claims the victim's device id (and may even present the victim's public key, which is public). */
function impostorOf(victim: TestKiosk): TestKiosk {
  const impostor = new TestKiosk();
  Object.defineProperty(impostor, 'deviceId', { value: victim.deviceId });
  return impostor;
}

describe('device identity', () => {
  it('refuses a fresh enrolment token for a device id that is already enrolled, and the owner keeps its credential and key', async () => {
    const victim = new TestKiosk();
    const credential = await api.enrol(victim);
    for (const request of [impostorOf(victim).enrolmentRequest(await api.token()), victim.enrolmentRequest(await api.token())]) {
      const response = await api.post('/v1/devices/enrol', request);
      expect(response.status).toBe(409);
      expect(KioskError.parse(await response.json()).message).toMatch(/already enrolled; only an operator can re-enrol it/);
    }
    expect((await api.ingest(credential, victim.events(1))).results[0]!.status).toBe('accepted');
    expect((await keysOf(victim.deviceId)).keys.map((k) => k.keyId)).toEqual([victim.keyId]);
  });

  it('re-enrols a device with an operator-issued token: a new credential, and a new key valid only after the highest seq held', async () => {
    const kiosk = new TestKiosk();
    const old = await api.enrol(kiosk);
    await api.ingest(old, kiosk.events(3));
    const issued = await reEnrolmentToken(kiosk.deviceId);
    expect(issued.status).toBe(201);
    const { token } = (await issued.json()) as { token: string };
    expect((await enrolWith(new TestKiosk(), token)).status).toBe(409);

    kiosk.swapKey();
    const fresh = await credentialOf(await enrolWith(kiosk, token));
    expect((await api.post('/v1/devices/heartbeat', heartbeat(), old)).status).toBe(401);
    expect((await keysOf(kiosk.deviceId)).keys).toEqual([
      expect.objectContaining({ fromSeq: 1, toSeq: 3, addedBy: 'enrolment' }),
      expect.objectContaining({ keyId: kiosk.keyId, fromSeq: 4, toSeq: null, addedBy: 'admin' }),
    ]);
    expect((await api.ingest(fresh, kiosk.events(1))).results[0]!.status).toBe('accepted');
    kiosk.rewind(2);
    expect((await api.ingest(fresh, kiosk.events(1))).results[0]).toMatchObject({ status: 'rejected', reason: 'wrong_key' });
  });

  it('accepts a key rotation signed by the current key, then only the next key for the seqs after it', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const oldKeyId = kiosk.keyId;
    const before = kiosk.events(2);
    const rotation = kiosk.rotate();
    // the kiosk sends the rotation last in its batch and waits for the answer before signing with the next key
    expect((await api.ingest(credential, [...before, rotation])).results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect((await api.ingest(credential, [...before, rotation])).results.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect((await api.ingest(credential, kiosk.events(2))).results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    expect((await keysOf(kiosk.deviceId)).keys).toEqual([
      expect.objectContaining({ keyId: oldKeyId, fromSeq: 1, toSeq: 3, addedBy: 'enrolment' }),
      expect.objectContaining({ keyId: kiosk.keyId, fromSeq: 4, toSeq: null, addedBy: 'rotation' }),
    ]);
    await api.restart();
    expect((await api.ingest(credential, kiosk.events(1))).results[0]!.status).toBe('accepted');
  });

  it('makes the next key valid for the later events of the batch the rotation is in, and for none if the rotation is refused', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const rotation = kiosk.rotate();
    const after = kiosk.events(2);
    expect((await api.ingest(credential, [after[1]!, rotation, after[0]!])).results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);

    const other = new TestKiosk();
    const otherCredential = await api.enrol(other);
    await api.ingest(otherCredential, other.events(2));
    other.rewind(1);
    const forkedRotation = other.rotate();
    const signedByNext = other.events(1);
    const { results } = await api.ingest(otherCredential, [forkedRotation, ...signedByNext]);
    expect(results).toEqual([
      expect.objectContaining({ status: 'rejected', reason: 'chain_conflict' }),
      expect.objectContaining({ status: 'rejected', reason: 'wrong_key' }),
    ]);
  });

  it('refuses a rotation onto a key another device holds, and neither device\'s keys change', async () => {
    const victim = new TestKiosk();
    await api.enrol(victim);
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const [first] = kiosk.events(1);
    const rotation = kiosk.rotate('scheduled', victim);
    expect((await api.ingest(credential, [first!, rotation])).results).toEqual([
      expect.objectContaining({ status: 'accepted' }),
      expect.objectContaining({ status: 'rejected', reason: 'invalid_event', message: expect.stringMatching(/already enrolled/) }),
    ]);
    expect((await keysOf(kiosk.deviceId)).keys).toEqual([expect.objectContaining({ fromSeq: 1, toSeq: null, addedBy: 'enrolment' })]);
    expect((await keysOf(victim.deviceId)).keys).toEqual([expect.objectContaining({ keyId: victim.keyId, fromSeq: 1, toSeq: null })]);
  });

  it('rejects, alone, an event naming a key that was never enrolled, and stores the rest of the batch', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const [first] = kiosk.events(1);
    kiosk.swapKey();
    const [unenrolled] = kiosk.events(1);
    const response = await api.post('/v1/ingest', { events: [first, unenrolled] }, credential);
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as { results: unknown[] };
    expect(results).toEqual([
      { id: first!.event.id, status: 'accepted' },
      expect.objectContaining({ id: unenrolled!.event.id, status: 'rejected', reason: 'wrong_key' }),
    ]);
  });

  it('refuses a revoked device at ingest, heartbeat and head (401), and a re-enrolment of it', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const revoked = await api.post(`/v1/admin/devices/${kiosk.deviceId}/revoke`, { reason: 'stolen from the branch' }, ADMIN_TOKEN);
    expect(revoked.status).toBe(200);
    expect((await api.post('/v1/ingest', { events: kiosk.events(1) }, credential)).status).toBe(401);
    expect((await api.post('/v1/devices/heartbeat', heartbeat(), credential)).status).toBe(401);
    expect((await api.get('/v1/devices/head', credential)).status).toBe(401);
    expect((await reEnrolmentToken(kiosk.deviceId)).status).toBe(409);
    const again = await enrolWith(kiosk, await api.token());
    expect(again.status).toBe(409);
    expect(KioskError.parse(await again.json()).message).toMatch(/revoked and cannot be enrolled again/);
    expect((await keysOf(kiosk.deviceId)).revokedAt).toEqual(expect.any(String));
    expect((await api.post(`/v1/admin/devices/${kiosk.deviceId}/revoke`, {}, ADMIN_TOKEN)).status).toBe(409);
  });

  it('publishes a device\'s keys without authentication, and 404 for an unknown device', async () => {
    const kiosk = new TestKiosk();
    await api.enrol(kiosk);
    expect((await keysOf(kiosk.deviceId)).keys).toEqual([
      { keyId: kiosk.keyId, publicKey: kiosk.publicKey, fromSeq: 1, toSeq: null, addedAt: expect.any(String), addedBy: 'enrolment' },
    ]);
    expect((await api.get('/v1/devices/00000000-0000-4000-8000-000000000000/keys')).status).toBe(404);
  });

  it('records where a terminal stands: from enrolment, updated by heartbeats, pinned by an operator', async () => {
    const kiosk = new TestKiosk();
    const credential = await credentialOf(await enrolWith(kiosk, await api.token(), SHINJUKU));
    expect((await keysOf(kiosk.deviceId)).placement).toEqual(SHINJUKU);
    await api.post('/v1/devices/heartbeat', heartbeat(SHIBUYA), credential);
    expect((await keysOf(kiosk.deviceId)).placement).toEqual(SHIBUYA);

    const pinned = new TestKiosk();
    const pinnedCredential = await credentialOf(await enrolWith(pinned, await api.token({ placement: SHINJUKU }), SHIBUYA));
    expect((await keysOf(pinned.deviceId)).placement).toEqual(SHINJUKU);
    await api.post('/v1/devices/heartbeat', heartbeat(SHIBUYA), pinnedCredential);
    expect((await keysOf(pinned.deviceId)).placement).toEqual(SHINJUKU);
  });

  it('names the terminal and its site in the audit, as it stood when the event was captured', async () => {
    const kiosk = new TestKiosk();
    const credential = await credentialOf(await enrolWith(kiosk, await api.token(), SHINJUKU));
    await api.ingest(credential, kiosk.events(1, { phone: '+819011112222' }));
    const response = await api.get(`/v1/admin/audit?businessId=sakura-bank&phone=${encodeURIComponent('+819011112222')}`, ADMIN_TOKEN);
    const [record] = (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);
    expect(record).toMatchObject({ record: 'chain_event', device: { placement: SHINJUKU, label: 'ATM 0413 at Shinjuku branch' } });
  });
});

describe('business scope at ingest', () => {
  it('rejects a consent naming a business the API does not know, or with the wrong name or number, and leaves no subject', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const items = [
      kiosk.event({ business: { id: 'go2shop', name: 'Go2Shop', whatsappNumber: '+38512345678' } }),
      kiosk.event({ business: { ...SAKURA_BANK, name: 'Sakura Bank (fake)' } }),
      kiosk.event({ business: { ...SAKURA_BANK, whatsappNumber: '+81300000000' } }),
      kiosk.legacyEvent({ business: { id: 'x', name: 'Sakura Bank', whatsappNumber: '+81300000000' } }),
    ];
    const { results } = await api.ingest(credential, items);
    expect(results.map((r) => (r.status === 'rejected' ? r.reason : r.status))).toEqual(['unknown_business', 'unknown_business', 'unknown_business', 'unknown_business']);
    expect(await api.check('+819012345678', 'balance-alerts')).toMatchObject({ state: 'unknown' });
  });

  it('matches a version 1 consent to its business by name and number', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    expect((await api.ingest(credential, [kiosk.legacyEvent({ business: SORA_AIRLINES })])).results[0]!.status).toBe('accepted');
    expect(await api.check('+819012345678', 'balance-alerts', 'sora-airlines')).toMatchObject({ allowed: true, timeQuality: 'unbounded' });
  });

  it('rejects a consent for a business the device was not enrolled to collect for', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk, { businessIds: ['sora-airlines'] });
    const { results } = await api.ingest(credential, [kiosk.event({ business: SORA_AIRLINES }), kiosk.event({ business: SAKURA_BANK })]);
    expect(results.map((r) => (r.status === 'rejected' ? r.reason : r.status))).toEqual(['accepted', 'business_not_allowed']);
    expect((await api.post('/v1/admin/enrolment-tokens', { businessIds: ['no-such-business'] }, ADMIN_TOKEN)).status).toBe(400);
  });

  it('registers and lists businesses, refusing a WhatsApp number another business has', async () => {
    const put = (id: string, body: object) =>
      fetch(`${api.server.url}/v1/admin/businesses/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify(body) });
    expect((await put('go2shop', { name: 'Go2Shop', whatsappNumber: '+38512345678' })).status).toBe(201);
    expect((await put('go2shop', { name: 'Go2Shop d.o.o.', whatsappNumber: '+38512345678' })).status).toBe(200);
    expect((await put('copycat', { name: 'Copycat', whatsappNumber: '+38512345678' })).status).toBe(409);
    const { businesses } = (await (await api.get('/v1/admin/businesses', ADMIN_TOKEN)).json()) as { businesses: { id: string; name: string }[] };
    expect(businesses.map((b) => [b.id, b.name])).toEqual([
      ['go2shop', 'Go2Shop d.o.o.'],
      ['sakura-bank', 'Sakura Bank'],
      ['sora-airlines', 'Sora Airlines'],
    ]);
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    expect((await api.ingest(credential, [kiosk.event({ business: { id: 'go2shop', name: 'Go2Shop d.o.o.', whatsappNumber: '+38512345678' } })])).results[0]!.status).toBe('accepted');
  });
});
