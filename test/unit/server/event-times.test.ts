import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { VerifiedEvent } from '../../../server/ingest/verify-event.ts';
import { createEventTimes, type CorrectedRange, type ObservationFault } from '../../../server/store/event-times.ts';
import { openBareStore, type BareStore } from './test-store.ts';

// The times the API records for each event of a device (docs/server.md, "Effective time"), on the store itself,
// without HTTP: which bounds it trusts, which clock observation places the event, the time that results and its
// quality, and the corrections a late observation makes. The end-to-end cases are in effective-time.test.ts.

const MINUTE = 60_000;
const TOLERANCE = MINUTE;
const at = (hhmm: string) => Date.parse(`2026-03-01T${hhmm}:00.000Z`);
const ENROLLED = at('08:00');

/** One boot of the kiosk: a monotonic clock that runs true from the boot, and a wall clock `wallOffsetMs` off. */
interface Boot {
  id: string;
  startedMs: number;
  wallOffsetMs: number;
}
const mono = (boot: Boot, realMs: number) => realMs - boot.startedMs + 5_000;
const wall = (boot: Boot, realMs: number) => realMs + boot.wallOffsetMs;

function link(seq: number) {
  return { id: `event-${seq}`, seq, prev: `prev-${seq}`, keyId: 'device-key', sig: 'sig', body: '{}', hash: `hash-${seq}` };
}

/** A consent the kiosk made at real time `realMs` in `boot`. */
function consent(seq: number, boot: Boot, realMs: number, knownGood = true): VerifiedEvent {
  return { ...link(seq), type: 'consent', capturedMs: wall(boot, realMs), knownGood, bootId: boot.id, monoMs: mono(boot, realMs) };
}

/** A version 1 consent: a wall clock and nothing else. */
const v1Consent = (seq: number, capturedMs: number): VerifiedEvent => ({ ...link(seq), type: 'consent', capturedMs, knownGood: true });

/**
 * A clock observation: the API issued its statement at `realMs` (its own clock), the request left 100 ms before
 * and the answer came 100 ms after, read on the kiosk's clocks of `boot`.
 */
function observation(seq: number, boot: Boot, realMs: number, headSeq: number | null = seq > 1 ? seq - 1 : null): VerifiedEvent {
  const reading = (ms: number) => ({ atMs: wall(boot, ms), monoMs: mono(boot, ms) });
  return {
    ...link(seq),
    type: 'clock_observation',
    capturedMs: wall(boot, realMs + 100),
    knownGood: true,
    bootId: boot.id,
    monoMs: mono(boot, realMs + 100),
    observation: {
      statement: {
        statement: { v: 1, type: 'device_head', keyId: 'api-key-1', deviceId: device, head: headSeq === null ? null : { seq: headSeq, hash: 'a'.repeat(64) }, issuedAt: new Date(realMs).toISOString() },
        sig: 'api-sig',
      },
      sent: reading(realMs - 100),
      received: reading(realMs + 100),
    },
  };
}

interface TimeRow {
  seq: number;
  bootId: string | null;
  capturedMs: number;
  knownGood: number;
  receivedMs: number;
  earliestMs: number;
  latestMs: number;
  placedBySeq: number | null;
  offsetBySeq: number | null;
  estimateMs: number;
  effectiveMs: number;
  quality: 'bounded' | 'unbounded' | 'clamped';
}
interface ObservationRow {
  seq: number;
  bootId: string;
  issuedMs: number;
  midMonoMs: number;
  offsetMs: number;
  roundTripMs: number;
  keyId: string;
  headSeq: number | null;
  valid: number;
  fault: ObservationFault | null;
}

const TIMES = `SELECT seq, boot_id AS "bootId", captured_ms AS "capturedMs", known_good AS "knownGood", received_ms AS "receivedMs",
  earliest_ms AS "earliestMs", latest_ms AS "latestMs", placed_by_seq AS "placedBySeq", offset_by_seq AS "offsetBySeq",
  estimate_ms AS "estimateMs", effective_ms AS "effectiveMs", quality FROM event_times WHERE device_id = ? ORDER BY seq`;
const OBSERVATIONS = `SELECT seq, boot_id AS "bootId", issued_ms AS "issuedMs", mid_mono_ms AS "midMonoMs", offset_ms AS "offsetMs",
  round_trip_ms AS "roundTripMs", statement_key_id AS "keyId", statement_head_seq AS "headSeq", valid, fault
  FROM clock_observations WHERE device_id = ? ORDER BY seq`;
const NUMERIC = new Set(['bootId', 'quality', 'keyId', 'fault']);
/** PostgreSQL hands bigints back as text. */
const numbers = <T extends object>(row: T): T =>
  Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value === null || NUMERIC.has(key) ? value : Number(value)])) as T;

/** One store of this run's kind for the file; each test speaks for a device of its own. */
let store: BareStore;
let device: string;
beforeAll(async () => {
  store = await openBareStore(TOLERANCE);
});
afterAll(() => store.close());
beforeEach(() => {
  device = randomUUID();
});

/**
 * One upload the API received at `receivedMs`, stored as ingest stores it: in ascending seq, in one transaction,
 * with the highest seq held before it. Returns the seq ranges whose times an observation of the batch rewrote.
 */
/** How many statements the last upload's times cost beyond the row inserts (lookups, corrections, observations). */
let statements = 0;

async function upload(receivedMs: number, events: VerifiedEvent[], faults: Record<number, ObservationFault> = {}): Promise<CorrectedRange[]> {
  const corrected: CorrectedRange[] = [];
  statements = 0;
  await store.db.transaction(async (tx) => {
    const writes = store.writesFor(tx, events.map((event) => event.id));
    const heldHead = Number((await tx.value<number | null>('SELECT MAX(seq) FROM event_times WHERE device_id = ?', [device])) ?? 0);
    const counted = <A extends unknown[], R>(call: (...args: A) => R) => (...args: A): R => ((statements += 1), call(...args));
    const inner = writes.tx;
    const countedTx = { ...inner, get: counted(inner.get), value: counted(inner.value), run: counted(inner.run), all: counted(inner.all) };
    const place = createEventTimes(TOLERANCE).batch({ ...writes, tx: countedTx }, device, ENROLLED, receivedMs, heldHead, corrected);
    for (const event of [...events].sort((a, b) => a.seq - b.seq)) await place.insert(event, faults[event.seq] ?? null);
    await writes.flush();
  });
  return corrected;
}

const times = async () => (await store.db.all<TimeRow>(TIMES, [device])).map(numbers);
const timeOf = async (seq: number) => (await times()).find((row) => row.seq === seq)!;
const observations = async () => (await store.db.all<ObservationRow>(OBSERVATIONS, [device])).map(numbers);

describe('event times: what the API records and trusts for an event of a device', () => {
  it('keeps an event of a kiosk that never synced on its own clock, but never before enrolment nor after its receipt, flagged beyond the tolerance', async () => {
    const boot = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: 0 };
    await upload(at('09:00'), [
      consent(1, boot, at('08:30')),
      { ...consent(2, boot, at('08:40')), capturedMs: Date.parse('2099-01-01T00:00:00.000Z') },
      { ...consent(3, boot, at('08:45')), capturedMs: at('06:00') },
      { ...consent(4, boot, at('08:50')), capturedMs: at('09:00') + 30_000 },
      { ...consent(5, boot, at('08:55'), false), capturedMs: at('08:00') - 30_000 },
    ]);
    const common = { bootId: 'boot-a', earliestMs: ENROLLED, latestMs: at('09:00'), receivedMs: at('09:00'), placedBySeq: null, offsetBySeq: null };
    expect(await times()).toEqual([
      { ...common, seq: 1, capturedMs: at('08:30'), knownGood: 1, estimateMs: at('08:30'), effectiveMs: at('08:30'), quality: 'unbounded' },
      { ...common, seq: 2, capturedMs: Date.parse('2099-01-01T00:00:00.000Z'), knownGood: 1, estimateMs: Date.parse('2099-01-01T00:00:00.000Z'), effectiveMs: at('09:00'), quality: 'clamped' },
      { ...common, seq: 3, capturedMs: at('06:00'), knownGood: 1, estimateMs: at('06:00'), effectiveMs: ENROLLED, quality: 'clamped' },
      // within the tolerance of a bound: moved to it, not flagged
      { ...common, seq: 4, capturedMs: at('09:00') + 30_000, knownGood: 1, estimateMs: at('09:00') + 30_000, effectiveMs: at('09:00'), quality: 'unbounded' },
      { ...common, seq: 5, capturedMs: at('08:00') - 30_000, knownGood: 0, estimateMs: at('08:00') - 30_000, effectiveMs: ENROLLED, quality: 'unbounded' },
    ]);
  });

  it('keeps a version 1 event (no boot, no monotonic clock) on its wall clock, never placed', async () => {
    await upload(at('09:00'), [v1Consent(1, at('08:30'))]);
    expect(await times()).toEqual([
      {
        seq: 1, bootId: null, capturedMs: at('08:30'), knownGood: 1, receivedMs: at('09:00'), earliestMs: ENROLLED, latestMs: at('09:00'),
        placedBySeq: null, offsetBySeq: null, estimateMs: at('08:30'), effectiveMs: at('08:30'), quality: 'unbounded',
      },
    ]);
  });

  it('places the later events of a boot by the monotonic clock from its clock observation, however wrong the wall clock, and no earlier than the statement', async () => {
    const boot = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: 60 * MINUTE };
    expect(await upload(at('09:00'), [observation(1, boot, at('08:10')), consent(2, boot, at('08:20')), consent(3, boot, at('08:40'))])).toEqual([]);
    expect(await upload(at('10:00'), [consent(4, boot, at('09:30'))])).toEqual([]);
    const placed = { bootId: 'boot-a', earliestMs: at('08:10'), placedBySeq: 1, offsetBySeq: 1, quality: 'bounded' };
    expect((await times()).slice(1)).toEqual([
      expect.objectContaining({ ...placed, seq: 2, capturedMs: at('09:20'), latestMs: at('09:00'), estimateMs: at('08:20'), effectiveMs: at('08:20') }),
      expect.objectContaining({ ...placed, seq: 3, capturedMs: at('09:40'), latestMs: at('09:00'), estimateMs: at('08:40'), effectiveMs: at('08:40') }),
      expect.objectContaining({ ...placed, seq: 4, capturedMs: at('10:30'), latestMs: at('10:00'), estimateMs: at('09:30'), effectiveMs: at('09:30') }),
    ]);
  });

  it('records what each clock observation measured: the statement, the middle of the request on the monotonic clock, the wall-clock offset and the round trip', async () => {
    const boot = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: 60 * MINUTE };
    await upload(at('09:00'), [observation(1, boot, at('08:10')), consent(2, boot, at('08:20')), observation(3, boot, at('08:30'))]);
    const measured = { bootId: 'boot-a', offsetMs: -60 * MINUTE, roundTripMs: 200, keyId: 'api-key-1', valid: 1, fault: null };
    expect(await observations()).toEqual([
      { ...measured, seq: 1, issuedMs: at('08:10'), midMonoMs: mono(boot, at('08:10')), headSeq: null },
      { ...measured, seq: 3, issuedMs: at('08:30'), midMonoMs: mono(boot, at('08:30')), headSeq: 2 },
    ]);
  });

  it('corrects the wall clock of an event after a reboot by the last observation, unbounded, until an observation of its own boot places it', async () => {
    const a = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: 60 * MINUTE };
    const b = { id: 'boot-b', startedMs: at('08:30'), wallOffsetMs: 50 * MINUTE };
    expect(await upload(at('09:00'), [observation(1, a, at('08:10')), consent(2, a, at('08:20')), consent(3, b, at('08:40'))])).toEqual([]);
    expect(await upload(at('10:00'), [consent(4, b, at('09:10'))])).toEqual([]);
    const unplaced = { bootId: 'boot-b', earliestMs: at('08:10'), placedBySeq: null, offsetBySeq: 1, quality: 'unbounded' };
    // its wall clock 50 minutes fast, corrected by the first boot's offset (an hour): 10 minutes early
    expect(await timeOf(3)).toMatchObject({ ...unplaced, estimateMs: at('08:30'), effectiveMs: at('08:30') });
    expect(await timeOf(4)).toMatchObject({ ...unplaced, estimateMs: at('09:00'), effectiveMs: at('09:00') });

    // the first observation of boot b places its earlier events, and the offset stays the nearest observation's
    expect(await upload(at('10:00'), [consent(5, b, at('09:15')), observation(6, b, at('09:20')), consent(7, b, at('09:40'))])).toEqual([{ afterSeq: 1, beforeSeq: 6 }]);
    const placed = { bootId: 'boot-b', placedBySeq: 6, quality: 'bounded' };
    expect(await timeOf(2)).toMatchObject({ bootId: 'boot-a', placedBySeq: 1, offsetBySeq: 1, estimateMs: at('08:20') });
    expect(await timeOf(3)).toMatchObject({ ...placed, offsetBySeq: 1, earliestMs: at('08:10'), estimateMs: at('08:40'), effectiveMs: at('08:40') });
    expect(await timeOf(4)).toMatchObject({ ...placed, offsetBySeq: 1, earliestMs: at('08:10'), estimateMs: at('09:10'), effectiveMs: at('09:10') });
    expect(await timeOf(5)).toMatchObject({ ...placed, offsetBySeq: 1, earliestMs: at('08:10'), estimateMs: at('09:15'), effectiveMs: at('09:15') });
    expect(await timeOf(7)).toMatchObject({ ...placed, offsetBySeq: 6, earliestMs: at('09:20'), estimateMs: at('09:40'), effectiveMs: at('09:40') });
  });

  it('places the events before a kiosk first synced by that first observation, keeping their earliest at enrolment', async () => {
    const boot = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: -10 * MINUTE };
    expect(await upload(at('08:50'), [consent(1, boot, at('08:20')), consent(2, boot, at('08:30'))])).toEqual([]);
    expect(await timeOf(1)).toMatchObject({ placedBySeq: null, estimateMs: at('08:10'), effectiveMs: at('08:10'), quality: 'unbounded' });
    expect(await upload(at('09:00'), [observation(3, boot, at('08:55'))])).toEqual([{ afterSeq: 0, beforeSeq: 3 }]);
    const placed = { earliestMs: ENROLLED, latestMs: at('08:50'), placedBySeq: 3, offsetBySeq: 3, quality: 'bounded' };
    expect(await timeOf(1)).toMatchObject({ ...placed, estimateMs: at('08:20'), effectiveMs: at('08:20') });
    expect(await timeOf(2)).toMatchObject({ ...placed, estimateMs: at('08:30'), effectiveMs: at('08:30') });
    // a second observation of the boot changes nothing before it: the first one already places those
    expect(await upload(at('09:30'), [observation(4, boot, at('09:25'))])).toEqual([]);
    expect(await timeOf(1)).toMatchObject({ ...placed, estimateMs: at('08:20') });
  });

  it('keeps an observation the API cannot trust for the chain, but never uses it for time', async () => {
    const boot = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: 0 };
    const future = { ...observation(3, boot, at('08:30')) };
    future.observation!.statement.statement.issuedAt = new Date(at('12:00')).toISOString();
    expect(await upload(at('09:00'), [observation(1, boot, at('08:10')), consent(2, boot, at('08:20')), future, consent(4, boot, at('08:40'))], { 3: 'issued_after_receipt' })).toEqual([]);
    expect(await upload(at('10:00'), [consent(5, boot, at('09:40'))])).toEqual([]);
    expect((await observations()).map(({ seq, valid, fault }) => ({ seq, valid, fault }))).toEqual([
      { seq: 1, valid: 1, fault: null },
      { seq: 3, valid: 0, fault: 'issued_after_receipt' },
    ]);
    for (const seq of [4, 5]) expect(await timeOf(seq)).toMatchObject({ placedBySeq: 1, offsetBySeq: 1, earliestMs: at('08:10'), quality: 'bounded' });
  });

  it('leaves the events around an untrusted first observation unplaced', async () => {
    const boot = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: 0 };
    await upload(at('09:00'), [consent(1, boot, at('08:05')), observation(2, boot, at('08:10')), consent(3, boot, at('08:20'))], { 2: 'bad_signature' });
    for (const seq of [1, 3]) expect(await timeOf(seq)).toMatchObject({ placedBySeq: null, offsetBySeq: null, earliestMs: ENROLLED, quality: 'unbounded' });
  });

  it('never makes an event effective after an event chained after it had arrived (batches received out of order)', async () => {
    const boot = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: 0 };
    await upload(at('09:00'), [consent(3, boot, at('08:30'))]);
    // seq 2 claims 09:20 and arrives at 09:30, but seq 3, which chains to it, was here at 09:00
    await upload(at('09:30'), [consent(1, boot, at('08:10')), { ...consent(2, boot, at('08:20')), capturedMs: at('09:20') }]);
    expect(await timeOf(1)).toMatchObject({ receivedMs: at('09:30'), latestMs: at('09:00'), effectiveMs: at('08:10'), quality: 'unbounded' });
    expect(await timeOf(2)).toMatchObject({ receivedMs: at('09:30'), latestMs: at('09:00'), effectiveMs: at('09:00'), quality: 'clamped' });
    expect(await timeOf(3)).toMatchObject({ receivedMs: at('09:00'), latestMs: at('09:00'), effectiveMs: at('08:30') });
  });

  it('places an event that arrives after the observation above it by that observation, bounded by its receipt', async () => {
    const boot = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: 20 * MINUTE };
    await upload(at('09:00'), [observation(3, boot, at('08:50'), null)]);
    await upload(at('09:10'), [consent(1, boot, at('08:20')), consent(2, boot, at('08:30')), consent(4, boot, at('08:55'))]);
    const placed = { placedBySeq: 3, offsetBySeq: 3, quality: 'bounded' };
    expect(await timeOf(1)).toMatchObject({ ...placed, earliestMs: ENROLLED, latestMs: at('09:00'), estimateMs: at('08:20') });
    expect(await timeOf(2)).toMatchObject({ ...placed, earliestMs: ENROLLED, latestMs: at('09:00'), estimateMs: at('08:30') });
    expect(await timeOf(4)).toMatchObject({ ...placed, earliestMs: at('08:50'), latestMs: at('09:10'), estimateMs: at('08:55') });
  });
});

describe('event times: what they cost', () => {
  const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('costs a batch a few statements, not a few per event: what one event looked up carries over to the next of its boot', async () => {
    const a = { id: 'boot-a', startedMs: at('07:30'), wallOffsetMs: 0 };
    const b = { id: 'boot-b', startedMs: at('08:30'), wallOffsetMs: 0 };
    await upload(at('09:30'), [
      observation(1, a, at('08:00')),
      ...seqs(2, 21).map((seq) => consent(seq, a, at('08:00') + seq * MINUTE)),
      ...seqs(22, 31).map((seq) => consent(seq, b, at('08:09') + seq * MINUTE)),
      observation(32, b, at('08:41')),
      ...seqs(33, 40).map((seq) => consent(seq, b, at('08:09') + seq * MINUTE)),
      observation(41, b, at('08:50')),
    ]);
    // the first event: the last observation before it and of its boot (2); an observation: its row, the next one and
    // the next of its boot, the correction after it, the last one before and of its boot (6), and the correction
    // before it when it is the first at all or of its boot (+1): 7 + 7 + 6; the reboot: the new boot's last
    // observation (1); nothing per consent
    expect(statements).toBeLessThanOrEqual(23);
    expect(await timeOf(40)).toMatchObject({ placedBySeq: 32, estimateMs: at('08:49'), quality: 'bounded' });
  });

  it('looks ahead only for events below what the API holds, and never for the boot of a version 1 event', async () => {
    await upload(at('09:00'), [v1Consent(3, at('08:30'))]);
    await upload(at('09:10'), [v1Consent(1, at('08:10')), v1Consent(2, at('08:20'))]);
    // the last observation before, the first after, the first receipt above
    expect(statements).toBeLessThanOrEqual(3);
    await upload(at('09:20'), [v1Consent(4, at('08:40')), v1Consent(5, at('08:50'))]);
    expect(statements).toBeLessThanOrEqual(1);
    expect((await times()).map((row) => row.latestMs)).toEqual([at('09:00'), at('09:00'), at('09:00'), at('09:20'), at('09:20')]);
  });
});

describe('event times: the same chain gives the same times whatever order its batches arrive in', () => {
  const a = { id: 'boot-a', startedMs: at('07:55'), wallOffsetMs: 60 * MINUTE };
  const b = { id: 'boot-b', startedMs: at('08:45'), wallOffsetMs: 20 * MINUTE };
  const CHAIN = [
    observation(1, a, at('08:05')),
    consent(2, a, at('08:10')),
    consent(3, a, at('08:20')),
    observation(4, a, at('08:30')),
    consent(5, a, at('08:35')),
    consent(6, b, at('08:50')),
    consent(7, b, at('08:55')),
    observation(8, b, at('09:00')),
    consent(9, b, at('09:05')),
  ];
  const RECEIVED = at('09:30');

  /**
   * Stores the chain in these batches; every time a batch rewrites a stored event's time, it reports that seq (the
   * consent states over it are derived again). Returns the times of the consents: a clock observation's own row
   * depends on the order (docs/testing.md), and no state or check reads it.
   */
  async function storeInOrder(batches: number[][], chain = CHAIN): Promise<TimeRow[]> {
    for (const seqs of batches) {
      const before = await times();
      const corrected = await upload(RECEIVED, chain.filter((event) => seqs.includes(event.seq)));
      const after = await times();
      for (const row of before) {
        const now = after.find((other) => other.seq === row.seq)!;
        if (JSON.stringify(now) === JSON.stringify(row)) continue;
        expect(corrected.some(({ afterSeq, beforeSeq }) => row.seq > afterSeq && row.seq < beforeSeq), `seq ${row.seq} rewritten by batch ${seqs.join(',')}, not reported`).toBe(true);
      }
    }
    return (await times()).filter((row) => chain.find((event) => event.seq === row.seq)!.type === 'consent');
  }

  it('places each event by its boot’s nearest observation, in order', async () => {
    const rows = await storeInOrder([[1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    const row = (seq: number) => rows.find((r) => r.seq === seq)!;
    for (const [seq, placedBy, offsetBy, earliest, real] of [
      [2, 1, 1, '08:05', '08:10'],
      [3, 1, 1, '08:05', '08:20'],
      [5, 4, 4, '08:30', '08:35'],
      [6, 8, 4, '08:30', '08:50'],
      [7, 8, 4, '08:30', '08:55'],
      [9, 8, 8, '09:00', '09:05'],
    ] as const) {
      expect(row(seq)).toMatchObject({ placedBySeq: placedBy, offsetBySeq: offsetBy, earliestMs: at(earliest), estimateMs: at(real), effectiveMs: at(real), quality: 'bounded' });
    }
  });

  it.each([
    ['two batches swapped', [[4, 5], [1, 2, 3], [6, 7, 8, 9]]],
    ['the consents before their observations', [[2, 3], [5, 6, 7], [9], [1], [4], [8]]],
    ['one event at a time, newest first', [[9], [8], [7], [6], [5], [4], [3], [2], [1]]],
    ['the second boot first, then the rest with gaps', [[6, 7], [1, 3, 5], [8, 9], [2, 4]]],
    ['every other event first', [[2, 4, 6, 8], [1, 3, 5, 7, 9]]],
  ])('gives the same times when the batches arrive %s', async (_, batches) => {
    const outOfOrder = await storeInOrder(batches);
    device = randomUUID();
    expect(outOfOrder).toEqual(await storeInOrder([[1, 2, 3, 4, 5, 6, 7, 8, 9]]));
  });

  it('places an event of a boot that comes back after another one by that boot’s observation, whichever arrives first', async () => {
    const a = { id: 'boot-a', startedMs: at('07:55'), wallOffsetMs: 60 * MINUTE };
    const b = { id: 'boot-b', startedMs: at('08:15'), wallOffsetMs: 20 * MINUTE };
    // a hostile or broken kiosk: boot a's id again after boot b's observation
    const chain = [observation(1, a, at('08:05')), consent(2, a, at('08:10')), observation(3, b, at('08:20')), consent(4, a, at('08:25'))];
    const lateFirstObservation = await storeInOrder([[2, 3, 4], [1]], chain);
    expect(lateFirstObservation.find((row) => row.seq === 4)).toMatchObject({ placedBySeq: 1, offsetBySeq: 3, earliestMs: at('08:20') });
    device = randomUUID();
    expect(lateFirstObservation).toEqual(await storeInOrder([[1, 2, 3, 4]], chain));
  });
});
