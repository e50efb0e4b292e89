import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { SubjectStateResponse, type ConsentDecision } from '../../../shared/contract/sync.ts';
import { canonicalApiStatement } from '../../../shared/event-bytes.ts';
import { userPreferencesWebhook } from '../../fixtures/whatsapp-webhooks.ts';
import { TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, TEST_BUSINESSES, WEBHOOK_APP_SECRET, startTestServer, type TestServer } from './test-server.ts';

// The API and the kiosks read one test clock (the API's own clock is the root of time): a kiosk's wall clock can be
// set wrong, stepped and rebooted while its monotonic clock runs on, as a real one's does.
const PHONE = '+819012345678';
const OFFERS = { id: 'offers', category: 'marketing' } as const;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const YEAR = 365 * 24 * HOUR;
const T0 = Date.parse('2026-03-01T08:00:00.000Z');
const at = (hhmm: string) => `2026-03-01T${hhmm}:00.000Z`;

let clock: TestClock;
let api: TestServer;
beforeEach(async () => {
  clock = new TestClock(T0);
  api = await startTestServer({ now: clock.date });
});
afterEach(() => api.stop());

/** Moves the one clock to hh:mm of the test day. */
const until = (hhmm: string) => {
  clock.nowMs = Date.parse(at(hhmm));
};

async function enrolled(): Promise<{ kiosk: TestKiosk; credential: string }> {
  const kiosk = new TestKiosk({ clock });
  return { kiosk, credential: await api.enrol(kiosk) };
}

/** A kiosk that has synced once: it holds a clock observation of its current boot. */
async function synced(): Promise<{ kiosk: TestKiosk; credential: string }> {
  const device = await enrolled();
  await api.ingest(device.credential, [await device.kiosk.observe(api.server.url, device.credential)]);
  return device;
}

async function decisions(): Promise<ConsentDecision[]> {
  const response = await api.post('/v1/subjects/state', { businessId: 'sakura-bank', phone: PHONE }, ADMIN_TOKEN);
  expect(response.status).toBe(200);
  return SubjectStateResponse.parse(await response.json()).decisions;
}

const decisionOf = async (eventId: string) => (await decisions()).find((d) => d.eventId === eventId)!;

function deliverStop(timestampSeconds: number): Promise<Response> {
  const raw = JSON.stringify(
    userPreferencesWebhook(PHONE, 'stop', timestampSeconds, { displayPhoneNumber: '81312345678', phoneNumberId: TEST_BUSINESSES[0]!.whatsappPhoneNumberId }),
  );
  const signature = `sha256=${createHmac('sha256', WEBHOOK_APP_SECRET).update(raw).digest('hex')}`;
  return fetch(`${api.server.url}/v1/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: raw });
}

describe('effective time: the API believes no time a kiosk merely claims', () => {
  it('does not let an opt-in claimed in 2099, or nine years ahead, beat a later opt-out from another kiosk or a later WhatsApp STOP', async () => {
    const broken = await enrolled();
    const honest = await synced();
    until('09:00');
    const in2099 = broken.kiosk.event({ kind: 'opt_in', purpose: OFFERS, capturedAt: new Date('2099-01-01T00:00:00.000Z') });
    broken.kiosk.wallOffsetMs = 9 * YEAR;
    const nineYearsAhead = broken.kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    await api.ingest(broken.credential, [in2099, nineYearsAhead]);
    until('10:00');
    await api.ingest(honest.credential, [honest.kiosk.event({ kind: 'opt_out', purpose: OFFERS })]);
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: at('10:00'), timeQuality: 'bounded' });
    // never effective after the API received it, and flagged
    expect(await decisionOf(in2099.event.id)).toMatchObject({ effectiveAt: at('09:00'), timeQuality: 'clamped' });
    expect(await decisionOf(nineYearsAhead.event.id)).toMatchObject({ effectiveAt: at('09:00'), timeQuality: 'clamped' });

    until('11:00');
    const second = await enrolled();
    await api.ingest(second.credential, [second.kiosk.event({ kind: 'opt_in', purpose: OFFERS, capturedAt: new Date('2099-01-01T00:00:00.000Z') })]);
    until('11:30');
    expect((await deliverStop(Math.floor(clock.nowMs / 1000))).status).toBe(200);
    until('12:00');
    const late = second.kiosk.event({ kind: 'opt_in', purpose: OFFERS, capturedAt: new Date('2099-06-01T00:00:00.000Z') });
    await api.post('/v1/ingest', { clockOffsetMs: 9 * YEAR, events: [late] }, second.credential);
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: at('11:30') });
  });

  it('corrects an opt-in captured while the clock was an hour fast (corrected before the upload) by the monotonic clock', async () => {
    const a = await synced();
    const b = await synced();
    until('08:30');
    a.kiosk.wallOffsetMs = HOUR;
    until('09:00');
    const optIn = a.kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    until('09:15');
    a.kiosk.wallOffsetMs = 0;
    until('09:30');
    await api.ingest(b.credential, [b.kiosk.event({ kind: 'opt_out', purpose: OFFERS })]);
    until('10:00');
    await api.ingest(a.credential, [optIn, await a.kiosk.observe(api.server.url, a.credential)]);
    expect(await decisionOf(optIn.event.id)).toMatchObject({ effectiveAt: at('09:00'), timeQuality: 'bounded' });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: at('09:30') });
  });

  it('keeps an opt-in captured with the clock right at its capture time when the clock is slow at the upload', async () => {
    const a = await synced();
    const b = await synced();
    until('09:00');
    const optIn = a.kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    until('09:30');
    await api.ingest(b.credential, [b.kiosk.event({ kind: 'opt_out', purpose: OFFERS })]);
    until('09:45');
    a.kiosk.wallOffsetMs = -HOUR;
    until('10:00');
    // the offset an older kiosk would have claimed at upload (server − device = +1 h) is ignored
    const upload = await api.post('/v1/ingest', { clockOffsetMs: HOUR, events: [optIn, await a.kiosk.observe(api.server.url, a.credential)] }, a.credential);
    expect(upload.status).toBe(200);
    expect(await decisionOf(optIn.event.id)).toMatchObject({ effectiveAt: at('09:00'), timeQuality: 'bounded' });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it('orders two captures by the monotonic clock when the wall clock jumped backwards between them', async () => {
    const a = await synced();
    until('09:00');
    const optIn = a.kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    a.kiosk.wallOffsetMs = -2 * HOUR;
    until('09:30');
    const optOut = a.kiosk.event({ kind: 'opt_out', purpose: OFFERS });
    expect(Date.parse((optOut.event as { capturedAt: string }).capturedAt)).toBeLessThan(Date.parse(at('09:00')));
    await api.ingest(a.credential, [optIn, optOut]);
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: at('09:30'), timeQuality: 'bounded' });
  });

  it('keeps an opt-out whose clock was never observed ahead of an opt-in, when the wall clock jumped backwards in between', async () => {
    const a = await enrolled();
    until('09:00');
    const optIn = a.kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    a.kiosk.wallOffsetMs = -2 * HOUR;
    until('09:30');
    const optOut = a.kiosk.event({ kind: 'opt_out', purpose: OFFERS });
    await api.ingest(a.credential, [optIn, optOut]);
    // the opt-out claims 07:30, before the device was even enrolled: moved to that bound, flagged, and in a
    // conflict it counts as late as it could have been
    expect(await decisionOf(optOut.event.id)).toMatchObject({ effectiveAt: at('08:00'), timeQuality: 'clamped' });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it('lets a known-time opt-out beat an opt-in made after a reboot while offline, and places that opt-in once its boot is observed', async () => {
    const a = await synced();
    const b = await synced();
    until('08:30');
    a.kiosk.reboot();
    a.kiosk.wallOffsetMs = 2 * HOUR;
    until('09:00');
    const optIn = a.kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    until('10:00');
    await api.ingest(b.credential, [b.kiosk.event({ kind: 'opt_out', purpose: OFFERS })]);
    until('12:00');
    await api.ingest(a.credential, [optIn]);
    // its wall clock says 11:00, later than the opt-out, but nothing the API knows says when it really was
    expect(await decisionOf(optIn.event.id)).toMatchObject({ effectiveAt: at('11:00'), timeQuality: 'unbounded' });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: at('10:00') });

    until('12:05');
    await api.ingest(a.credential, [await a.kiosk.observe(api.server.url, a.credential)]);
    expect(await decisionOf(optIn.event.id)).toMatchObject({ effectiveAt: at('09:00'), timeQuality: 'bounded' });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
  });

  it('corrects events stored before their boot was first observed exactly as if the observation had come first', async () => {
    const late = await enrolled();
    const early = await synced();
    for (const kiosk of [late.kiosk, early.kiosk]) kiosk.wallOffsetMs = HOUR;
    until('09:00');
    const lateItems = [late.kiosk.event({ kind: 'opt_in' }), late.kiosk.event({ kind: 'opt_in', purpose: OFFERS })];
    const earlyItems = [early.kiosk.event({ kind: 'opt_in' }), early.kiosk.event({ kind: 'opt_in', purpose: OFFERS })];
    until('09:10');
    await api.ingest(late.credential, lateItems);
    await api.ingest(early.credential, earlyItems);
    expect(await decisionOf(lateItems[0]!.event.id)).toMatchObject({ effectiveAt: at('09:10'), timeQuality: 'clamped' });
    until('09:20');
    await api.ingest(late.credential, [await late.kiosk.observe(api.server.url, late.credential)]);
    for (const [index, item] of lateItems.entries()) {
      const { effectiveAt, timeQuality } = await decisionOf(earlyItems[index]!.event.id);
      expect(await decisionOf(item.event.id)).toMatchObject({ effectiveAt, timeQuality });
      expect(timeQuality).toBe('bounded');
    }
  });

  it('places events by the observation before them in the chain when the batch holding it arrives after them', async () => {
    const a = await enrolled();
    const b = await synced();
    a.kiosk.wallOffsetMs = 3 * HOUR;
    const observed = [await a.kiosk.observe(api.server.url, a.credential)];
    until('09:00');
    const optIn = a.kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    until('09:30');
    await api.ingest(b.credential, [b.kiosk.event({ kind: 'opt_out', purpose: OFFERS })]);
    until('10:00');
    await api.ingest(a.credential, [optIn]);
    expect(await decisionOf(optIn.event.id)).toMatchObject({ effectiveAt: at('10:00'), timeQuality: 'clamped' });
    await api.ingest(a.credential, observed);
    expect(await decisionOf(optIn.event.id)).toMatchObject({ effectiveAt: at('09:00'), timeQuality: 'bounded' });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out', effectiveAt: at('09:30') });
  });

  it('stores a clock observation whose statement is not the API\'s, for the chain, but never corrects time by it', async () => {
    const a = await enrolled();
    const b = await enrolled();
    const foreign = await b.kiosk.observe(api.server.url, b.credential);
    const { privateKey } = generateKeyPairSync('ed25519');
    const genuine = await a.kiosk.observe(api.server.url, a.credential);
    a.kiosk.rewind(0);
    const statement = (genuine.event as { statement: { statement: Parameters<typeof canonicalApiStatement>[0] } }).statement.statement;
    const forged = a.kiosk.observation({ statement, sig: sign(null, Buffer.from(canonicalApiStatement(statement)), privateKey).toString('base64url') });
    const otherDevice = a.kiosk.observation((foreign.event as { statement: Parameters<typeof a.kiosk.observation>[0] }).statement);
    a.kiosk.wallOffsetMs = HOUR;
    until('09:00');
    const optIn = a.kiosk.event({ kind: 'opt_in' });
    const { results } = await api.ingest(a.credential, [forged, otherDevice, optIn]);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(await decisionOf(optIn.event.id)).toMatchObject({ effectiveAt: at('09:00'), timeQuality: 'clamped' });
    expect(api.logs.filter((line) => line.includes('is void'))).toEqual([
      expect.stringContaining('(bad_signature)'),
      expect.stringContaining('(other_device)'),
    ]);
  });

  it("lets an opt-in made after a kiosk's last confirmed sync beat an earlier opt-out, however wrong its clock", async () => {
    const a = await enrolled();
    const b = await synced();
    until('09:30');
    await api.ingest(b.credential, [b.kiosk.event({ kind: 'opt_out', purpose: OFFERS })]);
    until('10:00');
    await api.ingest(a.credential, [await a.kiosk.observe(api.server.url, a.credential)]);
    a.kiosk.reboot();
    a.kiosk.wallOffsetMs = -2 * HOUR;
    until('10:30');
    const optIn = a.kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    await api.ingest(a.credential, [optIn]);
    // it chains after a statement the API issued at 10:00: its clock (08:30) cannot be right
    expect(await decisionOf(optIn.event.id)).toMatchObject({ effectiveAt: at('10:00'), timeQuality: 'clamped' });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: true, state: 'opted_in' });
  });

  it('counts an opt-out no later than a later event of its chain that reached the API before it', async () => {
    const a = await enrolled();
    const b = await synced();
    a.kiosk.wallOffsetMs = 3 * HOUR;
    until('09:00');
    const optOut = a.kiosk.event({ kind: 'opt_out', purpose: OFFERS });
    const next = a.kiosk.event({ kind: 'opt_in', purpose: { id: 'balance-alerts', category: 'utility' } });
    until('09:10');
    await api.ingest(a.credential, [next]);
    until('10:00');
    await api.ingest(b.credential, [b.kiosk.event({ kind: 'opt_in', purpose: OFFERS })]);
    until('11:00');
    await api.ingest(a.credential, [optOut]);
    expect(await decisionOf(optOut.event.id)).toMatchObject({ effectiveAt: at('09:10'), timeQuality: 'clamped' });
    expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: true, state: 'opted_in', effectiveAt: at('10:00') });
  });

  it('answers as of a past time: what it knew then, and what it knows now about then', async () => {
    const a = await synced();
    until('09:00');
    await api.ingest(a.credential, [a.kiosk.event({ kind: 'opt_in', purpose: OFFERS })]);
    until('10:00');
    const optOut = a.kiosk.event({ kind: 'opt_out', purpose: OFFERS });
    until('12:00');
    await api.ingest(a.credential, [optOut]);
    const atEleven = await api.check(PHONE, 'offers', 'sakura-bank', at('11:00'));
    expect(atEleven).toMatchObject({
      allowed: false,
      state: 'opted_out',
      asOf: { at: at('11:00'), knownThen: { allowed: true, state: 'opted_in' }, trueThen: { allowed: false, state: 'opted_out', effectiveAt: at('10:00') } },
    });
    expect((await api.check(PHONE, 'offers', 'sakura-bank', at('09:30'))).asOf).toMatchObject({ knownThen: { state: 'opted_in' }, trueThen: { state: 'opted_in' } });
    expect((await api.check(PHONE, 'offers', 'sakura-bank', at('08:30'))).asOf).toMatchObject({ knownThen: { state: 'unknown' }, trueThen: { state: 'unknown' } });
  });

  it('does not count an opt-in whose time is not bounded as made by a time before its latest bound', async () => {
    const a = await enrolled();
    until('09:00');
    const optIn = a.kiosk.event({ kind: 'opt_in', purpose: OFFERS });
    until('12:00');
    await api.ingest(a.credential, [optIn]);
    expect(await decisionOf(optIn.event.id)).toMatchObject({ effectiveAt: at('09:00'), timeQuality: 'unbounded' });
    expect((await api.check(PHONE, 'offers', 'sakura-bank', at('10:00'))).asOf).toMatchObject({ trueThen: { allowed: false, state: 'unknown' } });
    expect((await api.check(PHONE, 'offers', 'sakura-bank', at('12:00'))).asOf).toMatchObject({ trueThen: { allowed: true, state: 'opted_in' } });
  });
});
