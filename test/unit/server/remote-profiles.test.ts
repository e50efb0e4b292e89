import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentTerms, type Profile } from '../../../shared/contract/profile.ts';
import type { Heartbeat } from '../../../shared/contract/sync.ts';
import type { SignedProfile } from '../../../shared/contract/signed-profile.ts';
import { renderConsentSentence } from '../../../shared/wording.ts';
import { keyFingerprint } from '../../../electron/cli/release-manifest.ts';
import { profileContentHash } from '../../../server/profiles/publish-profile.ts';
import { subjectTimeline } from '../../../server/console/subject-timeline.ts';
import { demoProfile, developmentPinPath, signedForTest } from '../../fixtures/signed-profile.ts';
import { TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-server.ts';
import { STORE } from './test-store.ts';

const SITE = { organisationUnit: 'Sakura Bank', siteId: 'shinjuku', siteName: 'Shinjuku branch', terminalId: 'ATM 0413' };
const OTHER_SITE = { ...SITE, siteId: 'umeda', siteName: 'Umeda branch' };

let clock: TestClock;
let api: TestServer;
beforeEach(async () => {
  clock = new TestClock(Date.now());
  api = await startTestServer({ now: clock.date, provisioningKeyFile: developmentPinPath });
});
afterEach(() => api.stop());

const publish = (profile: unknown, targets: unknown[] = [{ kind: 'site', id: SITE.siteId }]) => api.post('/v1/admin/profiles', { targets, profile }, ADMIN_TOKEN);
const refusal = async (response: Response) => ({ status: response.status, message: ((await response.json()) as { message: string }).message });
const publications = async () => ((await (await api.get('/v1/admin/profiles', ADMIN_TOKEN)).json()) as { publications: unknown[] }).publications;

const withWording = (profile: Profile, suffix: string): Profile => ({
  ...profile,
  flows: profile.flows.map((flow) => ({ ...flow, notices: flow.notices.map((notice) => ({ ...notice, optIn: `${notice.optIn} ${suffix}` })) })),
});

const heartbeat = (inForce: SignedProfile | null, placement = SITE): Heartbeat => ({
  pending: 0,
  dead: 0,
  oldestPendingAgeMs: null,
  lastSyncAt: null,
  appVersion: '1.0.0',
  profileVersion: 'demo',
  ...(inForce ? { profile: { revision: inForce.signed.revision, contentHash: profileContentHash(inForce.signed) } } : {}),
  placement,
  funnel: [],
});

async function beat(credential: string, inForce: SignedProfile | null, placement = SITE) {
  const response = await api.post('/v1/devices/heartbeat', heartbeat(inForce, placement), credential);
  expect(response.status).toBe(200);
  return (await response.json()) as { serverTime: string; profile?: SignedProfile };
}

describe(`remote profiles (${STORE})`, () => {
  it('refuses, with one sentence and nothing stored, a profile that is unsigned, changed, signed by another key, expired or not newer', async () => {
    const demo = demoProfile();
    const good = signedForTest(demo, { revision: 5 });
    expect((await publish(good)).status).toBe(201);

    const otherKey = generateKeyPairSync('ed25519');
    const cases: [unknown, number, RegExp][] = [
      [demo, 403, /^The profile offered for publication is not signed: this API loads only profiles signed with/],
      [{ ...good, signed: { ...good.signed, revision: 6 } }, 403, /was changed after it was signed: its signature does not verify\.$/],
      [signedForTest(demo, { revision: 6, key: { privateKey: otherKey.privateKey, fingerprint: keyFingerprint(otherKey.publicKey), development: false } }), 403, /is signed by key SHA256:[0-9a-f]{64}, not by the provisioning key this API trusts/],
      [signedForTest(demo, { revision: 6, issuedAt: new Date(clock.nowMs - 2 * 86_400_000), expiresAt: new Date(clock.nowMs - 86_400_000) }), 403, /\(revision 6\) expired at/],
      [signedForTest(demo, { revision: 5 }), 409, /^Revision 5 is not newer than revision 5 already published for site shinjuku: sign the profile with a higher revision\.$/],
      [signedForTest(demo, { revision: 4 }), 409, /^Revision 4 is not newer than revision 5/],
    ];
    for (const [profile, status, sentence] of cases) {
      const answer = await refusal(await publish(profile));
      expect(answer.status).toBe(status);
      expect(answer.message).toMatch(sentence);
    }
    expect(await publications()).toHaveLength(1);
  });

  it('refuses to publish at all when the API has no provisioning key, and for a device it does not know', async () => {
    const keyless = await startTestServer({ now: clock.date });
    try {
      const response = await keyless.post('/v1/admin/profiles', { targets: [{ kind: 'site', id: 'shinjuku' }], profile: signedForTest(demoProfile()) }, ADMIN_TOKEN);
      expect(await refusal(response)).toEqual({ status: 403, message: 'This API has no provisioning key configured (provisioningKeyFile), so it publishes no profile.' });
    } finally {
      await keyless.stop();
    }
    const unknown = await refusal(await publish(signedForTest(demoProfile(), { revision: 2 }), [{ kind: 'device', id: '0b0e5c4e-8f4c-4d8e-9a55-0c0c7d7c2b11' }]));
    expect(unknown).toEqual({ status: 404, message: 'No device 0b0e5c4e-8f4c-4d8e-9a55-0c0c7d7c2b11 is enrolled with this API; nothing was published.' });
  });

  it("answers a device's heartbeat with the newer profile published for its site or for itself, and nothing once it has it", async () => {
    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    const first = signedForTest(demoProfile(), { revision: 1 });
    // before anything is published, and from a kiosk that says nothing of its profile: no profile
    expect((await beat(credential, first)).profile).toBeUndefined();
    const forSite = signedForTest(withWording(demoProfile(), 'Site.'), { revision: 2 });
    expect((await publish(forSite)).status).toBe(201);
    expect((await beat(credential, null)).profile).toBeUndefined();
    expect((await beat(credential, first)).profile).toEqual(forSite);
    expect((await beat(credential, forSite)).profile).toBeUndefined();
    // another site's terminal does not get it
    expect((await beat(credential, first, OTHER_SITE)).profile).toBeUndefined();

    const forDevice = signedForTest(withWording(demoProfile(), 'Device.'), { revision: 3 });
    expect((await publish(forDevice, [{ kind: 'device', id: kiosk.deviceId }])).status).toBe(201);
    expect((await beat(credential, forSite)).profile).toEqual(forDevice);
    // an expired publication is never sent
    clock.advance(366 * 86_400_000);
    expect((await beat(credential, forSite)).profile).toBeUndefined();
  });

  it('keeps every publication as it was written: the database refuses to change or delete one', async () => {
    expect((await publish(signedForTest(demoProfile(), { revision: 9 }))).status).toBe(201);
    await expect(api.server.store.db.run(`UPDATE profile_publications SET revision = 1`)).rejects.toThrow(/append-only/);
    await expect(api.server.store.db.run('DELETE FROM profile_publications')).rejects.toThrow(/append-only/);
  });

  it('stores a consent whose sentence no published profile approves, flags it on the timeline and counts it per device', async () => {
    const demo = demoProfile();
    expect((await publish(signedForTest(demo, { revision: 3 }))).status).toBe(201);
    const flow = demo.flows.find((candidate) => candidate.business.id === 'sakura-bank')!;
    const approvedText = renderConsentSentence(ConsentTerms.parse(flow), 'opt_in', ['balance_alerts'], 'en').text;

    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    const phone = '+819012345678';
    const approved = kiosk.event({ phone, noticeText: approvedText, purpose: { id: 'balance_alerts', category: 'utility' } });
    const unapproved = kiosk.event({ phone, noticeText: `${approvedText} (edited on the terminal)`, purpose: { id: 'payment_notices', category: 'utility' } });
    const response = await api.ingest(credential, [approved, unapproved]);
    expect(response.results.map((result) => result.status)).toEqual(['accepted', 'accepted']);

    const timeline = await subjectTimeline(api.server.store, 'sakura-bank', phone);
    const flags = Object.fromEntries(timeline.entries.map((entry) => [entry.type === 'consent' ? entry.purpose.id : entry.type, entry.type === 'consent' && entry.unapprovedNotice]));
    expect(flags).toEqual({ balance_alerts: false, payment_notices: true });
    expect(await api.server.store.profiles.flaggedByDevice()).toEqual(new Map([[kiosk.deviceId, 1]]));
    expect(api.logs.some((line) => line.includes('1 consent event(s)') && !line.includes(phone))).toBe(true);
  });

  it('flags an unapproved sentence when the batch comes again after the API stored it and stopped before the check', async () => {
    expect((await publish(signedForTest(demoProfile(), { revision: 3 }))).status).toBe(201);
    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    const event = kiosk.event({ noticeText: 'A sentence no profile was ever published with.' });
    expect((await api.ingest(credential, [event])).results[0]!.status).toBe('accepted');
    await api.server.store.db.run('DELETE FROM notice_flags');

    expect((await api.ingest(credential, [event])).results[0]!.status).toBe('duplicate');
    expect(await api.server.store.profiles.flaggedByDevice()).toEqual(new Map([[kiosk.deviceId, 1]]));
  });

  it('flags nothing when the API has no provisioning key (notice approval is off)', async () => {
    const keyless = await startTestServer({ now: clock.date });
    try {
      const kiosk = new TestKiosk({ clock });
      const credential = await keyless.enrol(kiosk);
      await keyless.ingest(credential, [kiosk.event()]);
      expect(await keyless.server.store.profiles.flaggedByDevice()).toEqual(new Map());
    } finally {
      await keyless.stop();
    }
  });
});

describe(`enrolment tokens expire (${STORE})`, () => {
  it('refuses an expired token with one sentence, after the default week or the hours the operator chose', async () => {
    const issued = await api.post('/v1/admin/enrolment-tokens', { validHours: 2 }, ADMIN_TOKEN);
    const { token, createdAt, expiresAt } = (await issued.json()) as { token: string; createdAt: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.parse(createdAt)).toBe(2 * 3_600_000);
    const weekly = (await (await api.post('/v1/admin/enrolment-tokens', {}, ADMIN_TOKEN)).json()) as { token: string; createdAt: string; expiresAt: string };
    expect(Date.parse(weekly.expiresAt) - Date.parse(weekly.createdAt)).toBe(7 * 86_400_000);

    clock.advance(2 * 3_600_000);
    const expired = await api.post('/v1/devices/enrol', new TestKiosk({ clock }).enrolmentRequest(token));
    expect(await refusal(expired)).toEqual({ status: 409, message: 'This enrolment token has expired; ask the operator for a new one.' });
    const stillValid = await api.post('/v1/devices/enrol', new TestKiosk({ clock }).enrolmentRequest(weekly.token));
    expect(stillValid.status).toBe(200);
    clock.advance(7 * 86_400_000);
    const late = await api.post('/v1/devices/enrol', new TestKiosk({ clock }).enrolmentRequest(await api.token()));
    expect(late.status).toBe(200);
  });

  it('refuses a validity beyond 90 days', async () => {
    const response = await api.post('/v1/admin/enrolment-tokens', { validHours: 91 * 24 }, ADMIN_TOKEN);
    expect(response.status).toBe(400);
  });
});
