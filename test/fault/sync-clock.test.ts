import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningServer } from '../../server/start-server.ts';
import type { SyncWorker } from '../../electron/sync/sync-worker.ts';
import { consentCheck, fastWorker, startApi, subjectState, tempDir } from './fixtures/sync-harness.ts';
import { expectServerHoldsExactlyWhatWasCaptured } from './fixtures/sync-invariant.ts';
import { atmTerms, consentDraft, openTestKiosk } from './fixtures/sync-kiosk.ts';
import { consentsOf, skewedClock } from '../unit/ledger/fixtures.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOUR = 3_600_000;

async function syncToEnd(worker: SyncWorker): Promise<void> {
  worker.start();
  await vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout: 10_000, interval: 20 });
  await worker.stop();
}

/** A kiosk whose wall clock is `offset.ms` off (the test moves it), enrolled, its first observation synced. */
async function kioskWithClock(api: RunningServer, apiUrl = api.url) {
  const offset = { ms: 0 };
  const clock = skewedClock(() => offset.ms);
  const dir = tempDir('sync-kiosk');
  const kiosk = openTestKiosk(dir, clock);
  cleanups.push(() => kiosk.close());
  const token = await api.store.devices.createToken();
  const worker = (url = apiUrl) =>
    fastWorker(kiosk.ledger, { apiUrl: url, dataDir: dir, enrolmentToken: token, now: () => clock.now().getTime(), observationIntervalMs: 0 });
  await syncToEnd(worker());
  const chain = () => [...kiosk.ledger.exportRecords({ personalData: false })].flatMap((record) => (record.record === 'event' ? [record.event] : []));
  return { dir, kiosk, offset, worker, chain, sync: () => syncToEnd(worker()) };
}

describe('time from a kiosk clock that lies', () => {
  it('orders two captures by the monotonic clock when the wall clock jumps back between them, and brackets them with the next observation', async () => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    const { dir, kiosk, offset, chain, sync } = await kioskWithClock(api);
    const phone = '+819055551111';

    kiosk.ledger.capture(consentDraft(phone, 'opt_in', ['offers']), atmTerms);
    await pause(300);
    offset.ms = -HOUR;
    kiosk.ledger.capture(consentDraft(phone, 'opt_out', ['offers']), atmTerms);
    await sync();

    const [optIn, optOut] = consentsOf(chain());
    expect(Date.parse(optOut!.capturedAt)).toBeLessThan(Date.parse(optIn!.capturedAt) - HOUR / 2);
    expect(optOut!.clock.monoMs - optIn!.clock.monoMs).toBeGreaterThanOrEqual(300);
    const observations = chain().filter((event) => event.v === 2 && event.type === 'clock_observation');
    expect(observations.map((event) => event.seq)).toEqual([1, optOut!.seq + 1]);

    // by its wall clock the opt-out came an hour before the opt-in; by what the API knows it came after
    expect(await consentCheck(api, phone, 'offers')).toMatchObject({ allowed: false, state: 'opted_out', timeQuality: 'bounded' });
    const { decisions } = await subjectState(api, phone);
    const [inAt, outAt] = decisions.map((decision) => Date.parse(decision.effectiveAt));
    expect(decisions.map((decision) => decision.kind)).toEqual(['opt_in', 'opt_out']);
    expect(outAt! - inAt!).toBeGreaterThanOrEqual(300);
    expect(Math.abs(outAt! - Date.now())).toBeLessThan(10_000);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [dir]);
  });

  it('places a consent captured with the clock an hour fast at its true time, though the clock was corrected before the upload', async () => {
    const api = await startApi(tempDir('sync-api'));
    cleanups.push(() => api.close());
    const fast = await kioskWithClock(api);
    const right = await kioskWithClock(api);
    const phone = '+819055552222';

    fast.offset.ms = HOUR;
    // its clock was already fast when it last observed: the API knows the offset from the chain
    await fast.sync();
    fast.kiosk.ledger.capture(consentDraft(phone, 'opt_in', ['offers']), atmTerms);
    const capturedAt = Date.now();
    await pause(300);
    right.kiosk.ledger.capture(consentDraft(phone, 'opt_out', ['offers']), atmTerms);
    await right.sync();

    fast.offset.ms = 0;
    await fast.sync();
    expect(await consentCheck(api, phone, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
    const optIn = (await subjectState(api, phone)).decisions.find((decision) => decision.kind === 'opt_in')!;
    // not an hour in the future, nor clamped to its upload: the monotonic clock since the observation of its boot
    expect(optIn.timeQuality).toBe('bounded');
    expect(Math.abs(Date.parse(optIn.effectiveAt) - capturedAt)).toBeLessThan(2_000);
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [fast.dir, right.dir]);
  });

  it('records a clock observation after consents captured offline, which travels with them and bounds them', async () => {
    const apiDir = tempDir('sync-api');
    const api = await startApi(apiDir);
    cleanups.push(() => api.close().catch(() => undefined));
    const { dir, kiosk, chain, worker } = await kioskWithClock(api);
    const phone = '+819055553333';
    await api.close();

    kiosk.ledger.capture(consentDraft(phone, 'opt_in', ['balance_alerts']), atmTerms);
    const offline = worker();
    offline.start();
    await vi.waitFor(() => expect(offline.status().state).toBe('offline'), { timeout: 5_000, interval: 20 });
    await offline.stop();
    expect(kiosk.ledger.eventCounts().clock_observation).toBe(1);

    const again = await startApi(apiDir, api.port);
    cleanups.push(() => again.close());
    await syncToEnd(worker());
    const events = chain();
    const capture = consentsOf(events).at(-1)!;
    expect(events.at(-1)).toMatchObject({ v: 2, type: 'clock_observation', seq: capture.seq + 1 });
    const [decision] = (await subjectState(again, phone)).decisions;
    expect(decision).toMatchObject({ kind: 'opt_in', timeQuality: 'bounded' });
    const observedAt = Date.parse((events.at(-1) as { statement: { statement: { issuedAt: string } } }).statement.statement.issuedAt);
    expect(Date.parse(decision!.effectiveAt)).toBeLessThanOrEqual(observedAt);
    await expectServerHoldsExactlyWhatWasCaptured(again.store, [dir]);
  });
});
