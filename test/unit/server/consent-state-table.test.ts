import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { ConsentCheckBatchResponse, SubjectStateResponse, type IngestItem } from '../../../shared/contract/sync.ts';
import type { Business } from '../../../shared/contract/profile.ts';
import { checkPurpose, resolvePurposeStates, winningDecision, type KioskDecision } from '../../../server/consent/resolve-state.ts';
import { checkBatch } from '../../../server/ingest/check-batch.ts';
import { ingestBatch } from '../../../server/ingest/ingest-batch.ts';
import type { EnrolledDevice } from '../../../server/ingest/verify-event.ts';
import { incomingMessageWebhook, userPreferencesWebhook, type WebhookBusiness, type WebhookUser } from '../../fixtures/whatsapp-webhooks.ts';
import { SAKURA_BANK, SORA_AIRLINES, TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, TEST_BUSINESSES, WEBHOOK_APP_SECRET, startTestServer, type TestServer } from './test-server.ts';
import { STORE } from './test-store.ts';

/** How many random histories; CONSENT_STATE_HISTORIES=500 for a longer hunt. */
const HISTORIES = Number(process.env.CONSENT_STATE_HISTORIES ?? 24);
const STEPS = 36;
const PURPOSES = [
  { id: 'balance-alerts', category: 'utility' },
  { id: 'offers', category: 'marketing' },
  { id: 'news', category: 'marketing' },
] as const;
const BUSINESSES: { business: Business; webhook: WebhookBusiness }[] = [
  { business: SAKURA_BANK, webhook: { displayPhoneNumber: '81312345678', phoneNumberId: TEST_BUSINESSES[0]!.whatsappPhoneNumberId } },
  { business: SORA_AIRLINES, webhook: { displayPhoneNumber: '81362345678', phoneNumberId: TEST_BUSINESSES[1]!.whatsappPhoneNumberId } },
];
const HOUR = 3_600_000;
const YEAR = 365 * 24 * HOUR;

/** mulberry32: a history is reproducible from its seed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!, chance: (p: number) => next() < p };
}

let clock: TestClock;
let api: TestServer;
beforeAll(async () => {
  clock = new TestClock();
  api = await startTestServer({ now: clock.date });
}, 60_000);
afterAll(() => api.stop());

async function deliver(payload: unknown): Promise<void> {
  const raw = JSON.stringify(payload);
  const response = await fetch(`${api.server.url}/v1/webhooks/whatsapp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_APP_SECRET).update(raw).digest('hex')}` },
    body: raw,
  });
  expect(response.status).toBe(200);
}

/** How a history's batches reach the store. */
type Ingest = (credential: string, items: IngestItem[]) => Promise<unknown>;
const overHttp: Ingest = (credential, items) => api.ingest(credential, items);

/**
 * The API's own ingest (`ingestBatch`: every event verified, the survivors stored in one transaction by the event
 * store) with the verification and the storage in this process, on the store the test API opened. Over HTTP both run
 * on threads of their own from esbuild bundles (the verify pool, the ingest writer), where a mutation run cannot
 * switch a mutant on; this runs the same code where it can (docs/testing.md).
 */
const inProcess: Ingest = async (credential, items) => {
  const { store } = api.server;
  const device = await store.devices.authenticate(credential);
  if (!device) throw new Error('ingest in process: the credential is not enrolled');
  const body = new TextEncoder().encode(JSON.stringify({ events: items }));
  const verify = { check: async (enrolled: EnrolledDevice, businesses: readonly Business[], raw: Uint8Array) => checkBatch(raw, enrolled, businesses) };
  await ingestBatch(body, device, store.events, store.statements, (await store.businesses.current()).list(), clock.date, verify);
};

const TABLE_ROWS = `SELECT business_id AS "businessId", purpose_id AS "purposeId", event_id AS "eventId", kind, category, effective_ms AS "effectiveMs",
  earliest_ms AS "earliestMs", latest_ms AS "latestMs", quality, received_ms AS "receivedMs" FROM consent_state WHERE phone_key = ?`;
const byBusinessAndPurpose = (a: { businessId: string; purposeId: string }, b: { businessId: string; purposeId: string }) =>
  a.businessId === b.businessId ? (a.purposeId < b.purposeId ? -1 : 1) : a.businessId < b.businessId ? -1 : 1;

/**
 * After every step: the state table holds, per number, business and purpose, exactly the decision resolution from
 * the number's whole history picks (its event and its times, nothing for a purpose with none), and the store's checks
 * (one by one, in a batch of one purpose and of several) answer what resolution from history answers.
 */
async function expectTableAsHistoryResolves(phones: readonly string[]): Promise<void> {
  const { store } = api.server;
  for (const { business } of BUSINESSES) {
    const expected: unknown[] = [];
    const items = phones.flatMap((phone) => PURPOSES.map((purpose) => ({ phoneKey: store.lookup(phone), purposeId: purpose.id })));
    for (const phone of phones) {
      const decisions = await store.history.decisionsFor(business.id, phone);
      const states = resolvePurposeStates(decisions, await store.history.preferencesFor(business.id, phone));
      for (const purpose of PURPOSES) expected.push(checkPurpose(states, purpose.id));
    }
    const oneByOne = [];
    for (const item of items) oneByOne.push(await store.states.check(business.id, item));
    expect(oneByOne).toEqual(expected);
    expect(await store.states.checkMany(business.id, items)).toEqual(expected);
    for (const [index, purpose] of PURPOSES.entries()) {
      const ofPurpose = items.filter((item) => item.purposeId === purpose.id);
      expect(await store.states.checkMany(business.id, ofPurpose)).toEqual(expected.filter((_, at) => at % PURPOSES.length === index));
    }
  }
  for (const phone of phones) {
    const winners: unknown[] = [];
    for (const { business } of BUSINESSES) {
      const decisions = await store.history.decisionsFor(business.id, phone);
      for (const purpose of PURPOSES) {
        const winner = winningDecision(decisions.filter((decision) => decision.purposeId === purpose.id));
        if (winner) winners.push({ businessId: business.id, ...winner });
      }
    }
    const rows = await store.db.all<KioskDecision & { businessId: string }>(TABLE_ROWS, [store.lookup(phone)]);
    expect(rows.sort(byBusinessAndPurpose)).toEqual((winners as (KioskDecision & { businessId: string })[]).sort(byBusinessAndPurpose));
  }
}

interface Device {
  kiosk: TestKiosk;
  credential: string;
  /** Signed, not yet sent: the kiosk's outbox. */
  pending: IngestItem[];
  sent: IngestItem[][];
}

/**
 * A random history for a few numbers: kiosks with wrong, jumping or far-off clocks that reboot offline, capture
 * opt-ins and opt-outs for several purposes with two businesses, observe the API's clock or not, and sync in batches
 * out of order (an observation arriving after the events it places corrects them), some events without their
 * opening, some sent twice; WhatsApp stops and resumes by number or by a user id mapped only later; erasures.
 */
async function playHistory(seed: number, phones: readonly string[], ingest: Ingest): Promise<void> {
  const r = random(seed);
  const devices: Device[] = [];
  for (let i = 0; i < 2; i++) {
    const kiosk = new TestKiosk({ clock });
    kiosk.wallOffsetMs = r.pick([0, 0, -3 * HOUR, 2 * HOUR, 9 * YEAR]);
    kiosk.knownGood = r.chance(0.7);
    devices.push({ kiosk, credential: await api.enrol(kiosk), pending: [], sent: [] });
  }
  const userIds = new Map(phones.map((phone) => [phone, `JP.${seed}${phone.slice(-4)}`]));

  const sync = async (device: Device) => {
    if (r.chance(0.7)) device.pending.push(await device.kiosk.observe(api.server.url, device.credential));
    const items = device.pending.splice(0).map((item) => (item.subject && r.chance(0.15) ? { ...item, subject: null } : item));
    const batches: IngestItem[][] = [];
    while (items.length > 0) batches.push(items.splice(0, 1 + Math.floor(r.next() * 4)));
    // the last batch may stay behind until the next sync, as one still in flight would
    if (batches.length > 1 && r.chance(0.3)) device.pending.unshift(...batches.pop()!);
    for (const batch of batches.sort(() => r.next() - 0.5)) {
      await ingest(device.credential, batch);
      device.sent.push(batch);
    }
  };

  for (let step = 0; step < STEPS; step++) {
    const device = r.pick(devices);
    const roll = r.next();
    if (roll < 0.4) {
      const { business } = r.pick(BUSINESSES);
      const kind = r.chance(0.6) ? 'opt_in' : 'opt_out';
      const first = device.kiosk.event({ kind, phone: r.pick(phones), business, purpose: r.pick(PURPOSES) });
      device.pending.push(first);
      if (r.chance(0.4)) device.pending.push(device.kiosk.event({ kind, business, purpose: r.pick(PURPOSES), opening: first.subject! }));
    } else if (roll < 0.6) await sync(device);
    else if (roll < 0.65) device.kiosk.reboot();
    else if (roll < 0.68) device.kiosk.wallOffsetMs = r.pick([0, -3 * HOUR, 2 * HOUR, -9 * YEAR]);
    else if (roll < 0.78) clock.advance(Math.floor(r.next() * 3 * HOUR) + 1_000);
    else if (roll < 0.89) {
      const phone = r.pick(phones);
      const by = r.next();
      const user: WebhookUser = by < 0.5 ? { phone } : by < 0.8 ? { userId: userIds.get(phone)! } : { phone, userId: userIds.get(phone)! };
      const seconds = Math.floor(clock.nowMs / 1000) - Math.floor(r.next() * 7_200);
      await deliver(userPreferencesWebhook(user, r.chance(0.6) ? 'stop' : 'resume', seconds, r.pick(BUSINESSES).webhook));
    } else if (roll < 0.95) {
      // a message that names the user both ways: maps the user id, applying the changes that named only it
      const phone = r.pick(phones);
      await deliver(incomingMessageWebhook({ phone, userId: userIds.get(phone)! }, Math.floor(clock.nowMs / 1000), r.pick(BUSINESSES).webhook));
    } else if (roll < 0.97) {
      const erasure = { phone: r.pick(phones), ...(r.chance(0.5) ? { businessId: r.pick(BUSINESSES).business.id } : {}) };
      expect((await api.post('/v1/admin/subjects/erase', erasure, ADMIN_TOKEN)).status).toBe(200);
    } else if (device.sent.length > 0) await ingest(device.credential, r.pick(device.sent));
    await expectTableAsHistoryResolves(phones);
  }
  for (const device of devices) await sync(device);
  await expectTableAsHistoryResolves(phones);
}

/** Every check (one by one and in a batch) against what resolution from the numbers' whole history answers. */
async function expectChecksAsHistoryResolves(phones: readonly string[]): Promise<number> {
  let compared = 0;
  for (const { business } of BUSINESSES) {
    const expected: unknown[] = [];
    const actual: unknown[] = [];
    for (const phone of phones) {
      const state = SubjectStateResponse.parse(await (await api.post('/v1/subjects/state', { businessId: business.id, phone }, ADMIN_TOKEN)).json());
      for (const purpose of PURPOSES) {
        const { asOf: _asOf, ...check } = await api.check(phone, purpose.id, business.id);
        expected.push({ phone, purposeId: purpose.id, businessId: business.id, ...checkPurpose(state.purposes, purpose.id) });
        actual.push({ phone, purposeId: purpose.id, ...check });
      }
    }
    expect(actual).toEqual(expected);
    const items = phones.flatMap((phone) => PURPOSES.map((purpose) => ({ phone, purposeId: purpose.id })));
    const batch = ConsentCheckBatchResponse.parse(await (await api.post('/v1/consent/check-batch', { businessId: business.id, items }, ADMIN_TOKEN)).json());
    expect(batch.results.map((result) => ({ ...result, businessId: business.id }))).toEqual(expected);
    compared += expected.length;
  }
  return compared;
}

describe(`the current-state table (${STORE})`, () => {
  // each way its own seeds: a history's WhatsApp user ids are made from its seed
  const WAYS = [
    { how: 'over HTTP, stored by the ingest writer thread', ingest: overHttp, firstSeed: 1 },
    { how: 'stored by the event store in this process', ingest: inProcess, firstSeed: 1001 },
  ];
  for (const { how, ingest, firstSeed } of WAYS) it(`answers every check exactly as resolution from history does, over ${HISTORIES} random histories ${how}`, async () => {
    let compared = 0;
    const answers = new Set<string>();
    for (let seed = firstSeed; seed < firstSeed + HISTORIES; seed++) {
      const phones = Array.from({ length: 3 }, (_, i) => `+8190${String(seed).padStart(6, '0')}${i}1`);
      try {
        await playHistory(seed, phones, ingest);
        compared += await expectChecksAsHistoryResolves(phones);
      } catch (error) {
        throw new Error(`history ${seed}: ${(error as Error).message}`, { cause: error });
      }
      for (const phone of phones) for (const purpose of PURPOSES) answers.add(JSON.stringify(await api.check(phone, purpose.id)).replace(/"effectiveAt":"[^"]*"/, ''));
    }
    expect(compared).toBe(HISTORIES * 3 * PURPOSES.length * BUSINESSES.length);
    // the histories reach every kind of answer, or the comparison proves little
    for (const fragment of ['"state":"unknown"', '"state":"opted_in"', '"state":"opted_out"', '"timeQuality":"bounded"', '"timeQuality":"unbounded"', '"timeQuality":"clamped"']) {
      expect([...answers].some((answer) => answer.includes(fragment)), fragment).toBe(true);
    }
  }, 600_000);
});
