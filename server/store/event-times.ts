import type { StatementFault } from '../keys/statement-key.ts';
import type { VerifiedEvent } from '../ingest/verify-event.ts';
import type { ChainWrites } from './chain-writes.ts';
import { named } from './sql.ts';

/** A valid clock observation, as placement uses it. */
export interface Observation {
  seq: number;
  bootId: string;
  issuedMs: number;
  /** The device's monotonic time the statement's `issuedAt` is matched with: the middle of the request. */
  midMonoMs: number;
  /** API clock minus device wall clock, measured at the middle of the request. */
  offsetMs: number;
}

/** Why a clock observation is stored for the chain but never used for time. */
export type ObservationFault = StatementFault | 'head_not_below' | 'issued_after_receipt' | 'readings_out_of_order';

interface Context {
  /** The seq this context is for; the next event continues it when it has the next seq and the same boot. */
  seq: number;
  bootId: string | null;
  before: Observation | null;
  sameBootBefore: Observation | null;
  after: Observation | null;
  sameBootAfter: Observation | null;
  /** When the first event held above this one arrived: this one was made before that. */
  nextHeldReceivedMs: number | null;
}

const NONE = Number.MAX_SAFE_INTEGER;
const OBSERVATION = 'seq, boot_id AS "bootId", issued_ms AS "issuedMs", mid_mono_ms AS "midMonoMs", offset_ms AS "offsetMs"';

const LAST_BEFORE = `SELECT ${OBSERVATION} FROM clock_observations WHERE device_id = ? AND seq < ? AND valid = 1 ORDER BY seq DESC LIMIT 1`;
const FIRST_AFTER = `SELECT ${OBSERVATION} FROM clock_observations WHERE device_id = ? AND seq > ? AND valid = 1 ORDER BY seq LIMIT 1`;
const LAST_OF_BOOT_BEFORE = `SELECT ${OBSERVATION} FROM clock_observations WHERE device_id = ? AND boot_id = ? AND seq < ? AND valid = 1 ORDER BY seq DESC LIMIT 1`;
const FIRST_OF_BOOT_AFTER = `SELECT ${OBSERVATION} FROM clock_observations WHERE device_id = ? AND boot_id = ? AND seq > ? AND valid = 1 ORDER BY seq LIMIT 1`;
const NEXT_HELD_RECEIPT = 'SELECT received_ms FROM event_times WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT 1';
const INSERT_OBSERVATION = named(`
  INSERT INTO clock_observations (device_id, seq, boot_id, issued_ms, mid_mono_ms, offset_ms, round_trip_ms, statement_key_id,
    statement_head_seq, valid, fault)
  VALUES (@deviceId, @seq, @bootId, @issuedMs, @midMonoMs, @offsetMs, @roundTripMs, @keyId, @headSeq, @valid, @fault)`);

// The corrections a valid observation at seq k (boot b) makes to events already stored, one UPDATE each side of
// it. After it, up to the next observation, it is the last observation before them (their earliest bound and
// wall-clock offset); up to the next one of its boot, the same-boot observation that places them.
const CORRECT_AFTER = named(`
  UPDATE event_times SET
    earliest_ms = CASE WHEN seq < @nextSeq THEN @earliestMs ELSE earliest_ms END,
    offset_by_seq = CASE WHEN seq < @nextSeq THEN @seq ELSE offset_by_seq END,
    offset_ms = CASE WHEN seq < @nextSeq THEN @offsetMs ELSE offset_ms END,
    placed_by_seq = CASE WHEN boot_id = @bootId AND seq < @nextOfBootSeq THEN @seq ELSE placed_by_seq END,
    place_issued_ms = CASE WHEN boot_id = @bootId AND seq < @nextOfBootSeq THEN @issuedMs ELSE place_issued_ms END,
    place_mono_ms = CASE WHEN boot_id = @bootId AND seq < @nextOfBootSeq THEN @midMonoMs ELSE place_mono_ms END
  WHERE device_id = @deviceId AND seq > @seq AND seq < @untilSeq
    AND (seq < @nextSeq OR (boot_id = @bootId AND seq < @nextOfBootSeq))`);
// Before it: for events before any observation, the first one after them (offset); for events of its boot before
// the boot's first observation, the one that places them. A boot's events are one run of seqs, so those lie after
// any observation of another boot (@fromSeq). Rows that keep a nearer observation are not rewritten.
const CORRECT_BEFORE = named(`
  UPDATE event_times SET
    offset_by_seq = CASE WHEN @offsetToo = 1 AND (offset_by_seq IS NULL OR offset_by_seq > @seq) THEN @seq ELSE offset_by_seq END,
    offset_ms = CASE WHEN @offsetToo = 1 AND (offset_by_seq IS NULL OR offset_by_seq > @seq) THEN @offsetMs ELSE offset_ms END,
    placed_by_seq = CASE WHEN @placeToo = 1 AND boot_id = @bootId AND (placed_by_seq IS NULL OR placed_by_seq > @seq) THEN @seq ELSE placed_by_seq END,
    place_issued_ms = CASE WHEN @placeToo = 1 AND boot_id = @bootId AND (placed_by_seq IS NULL OR placed_by_seq > @seq) THEN @issuedMs ELSE place_issued_ms END,
    place_mono_ms = CASE WHEN @placeToo = 1 AND boot_id = @bootId AND (placed_by_seq IS NULL OR placed_by_seq > @seq) THEN @midMonoMs ELSE place_mono_ms END
  WHERE device_id = @deviceId AND seq > @fromSeq AND seq < @seq
    AND ((@offsetToo = 1 AND (offset_by_seq IS NULL OR offset_by_seq > @seq)) OR (@placeToo = 1 AND boot_id = @bootId AND (placed_by_seq IS NULL OR placed_by_seq > @seq)))`);

/** Seqs of a device whose times a correction rewrote: every seq in (afterSeq, beforeSeq). */
export interface CorrectedRange {
  afterSeq: number;
  beforeSeq: number;
}

/**
 * Effective time (docs/server.md, "Effective time"). For each event this stores the hard bounds the API knows
 * (`earliest_ms`: enrolment, or the `issuedAt` of the last valid observation before it; `latest_ms`: its receipt,
 * or an event after it that arrived earlier) and what places it inside them (the same-boot observation before it,
 * else after it; without one, the wall clock and the offset of the nearest observation before, else after it). The
 * arithmetic — estimate, clamp, quality — is the table's generated columns, one definition for every path. An
 * observation arriving after events it places corrects them with set-based UPDATEs over seq ranges.
 */
export function createEventTimes(toleranceMs: number) {
  /**
   * Times for one batch of one device, inserted in ascending seq (events that continue the previous one share its
   * context, so a batch costs a few lookups, not a few per event). `heldHeadSeq`: the highest seq held before the
   * batch — nothing is held above it, so events beyond it need no look-ahead. `corrected` collects the ranges an
   * observation of the batch rewrote (the consent states over them are derived from those times).
   */
  function batch(writes: ChainWrites, deviceId: string, enrolledMs: number, receivedMs: number, heldHeadSeq: number, corrected: CorrectedRange[]) {
    const { tx } = writes;
    const one = async (sql: string, ...params: unknown[]): Promise<Observation | null> => (await tx.get<Observation>(sql, params)) ?? null;
    let context: Context | null = null;

    async function correct(o: Observation): Promise<void> {
      const params = { deviceId, ...o };
      const next = await one(FIRST_AFTER, deviceId, o.seq);
      const nextOfBoot = await one(FIRST_OF_BOOT_AFTER, deviceId, o.bootId, o.seq);
      const nextSeq = next?.seq ?? NONE;
      const nextOfBootSeq = nextOfBoot?.seq ?? NONE;
      const untilSeq = Math.max(nextSeq, nextOfBootSeq);
      const after = await tx.run(CORRECT_AFTER.sql, CORRECT_AFTER.bind({ ...params, earliestMs: Math.max(enrolledMs, o.issuedMs), nextSeq, nextOfBootSeq, untilSeq }));
      if (after.changes > 0) corrected.push({ afterSeq: o.seq, beforeSeq: untilSeq });
      const previous = await one(LAST_BEFORE, deviceId, o.seq);
      const offsetToo = previous === null ? 1 : 0;
      const placeToo = (await one(LAST_OF_BOOT_BEFORE, deviceId, o.bootId, o.seq)) === null ? 1 : 0;
      if (!offsetToo && !placeToo) return;
      const fromSeq = previous?.seq ?? 0;
      const before = await tx.run(CORRECT_BEFORE.sql, CORRECT_BEFORE.bind({ ...params, offsetToo, placeToo, fromSeq }));
      if (before.changes > 0) corrected.push({ afterSeq: fromSeq, beforeSeq: o.seq });
    }

    async function contextFor(seq: number, bootId: string | null): Promise<Context> {
      if (context && seq === context.seq + 1 && bootId === context.bootId) {
        context.seq = seq;
        return context;
      }
      const before = context && seq === context.seq + 1 ? context.before : await one(LAST_BEFORE, deviceId, seq);
      const sameBootBefore = bootId === null ? null : await one(LAST_OF_BOOT_BEFORE, deviceId, bootId, seq);
      const lookAhead = seq <= heldHeadSeq;
      return {
        seq,
        bootId,
        before,
        sameBootBefore,
        after: lookAhead && !before ? await one(FIRST_AFTER, deviceId, seq) : null,
        sameBootAfter: lookAhead && bootId !== null && !sameBootBefore ? await one(FIRST_OF_BOOT_AFTER, deviceId, bootId, seq) : null,
        nextHeldReceivedMs: lookAhead ? ((await tx.value<number>(NEXT_HELD_RECEIPT, [deviceId, seq])) ?? null) : null,
      };
    }

    return {
      /** Stores the event's time; for a clock observation, the observation too (valid unless `fault`). */
      async insert(event: VerifiedEvent, fault: ObservationFault | null): Promise<void> {
        context = await contextFor(event.seq, event.bootId ?? null);
        const { before, sameBootBefore, after, sameBootAfter, nextHeldReceivedMs } = context;
        const placedBy = sameBootBefore ?? sameBootAfter;
        const offsetBy = before ?? after;
        await writes.insertTime([
          deviceId,
          event.seq,
          event.bootId ?? null,
          event.monoMs ?? null,
          event.capturedMs,
          event.knownGood ? 1 : 0,
          receivedMs,
          Math.max(enrolledMs, before?.issuedMs ?? enrolledMs),
          Math.min(receivedMs, nextHeldReceivedMs ?? receivedMs),
          placedBy?.seq ?? null,
          placedBy?.issuedMs ?? null,
          placedBy?.midMonoMs ?? null,
          offsetBy?.seq ?? null,
          offsetBy?.offsetMs ?? null,
          toleranceMs,
        ]);
        const { observation } = event;
        if (!observation) return;
        const { statement, sent, received } = observation;
        const measured: Observation = {
          seq: event.seq,
          bootId: event.bootId!,
          issuedMs: Date.parse(statement.statement.issuedAt),
          midMonoMs: Math.floor((sent.monoMs + received.monoMs) / 2),
          offsetMs: Date.parse(statement.statement.issuedAt) - Math.floor((sent.atMs + received.atMs) / 2),
        };
        await tx.run(INSERT_OBSERVATION.sql, INSERT_OBSERVATION.bind({
          deviceId,
          ...measured,
          roundTripMs: received.monoMs - sent.monoMs,
          keyId: statement.statement.keyId,
          headSeq: statement.statement.head?.seq ?? null,
          valid: fault === null ? 1 : 0,
          fault,
        }));
        if (fault !== null) return;
        await correct(measured);
        context = { ...context, before: measured, sameBootBefore: measured.bootId === context.bootId ? measured : context.sameBootBefore };
      },
    };
  }

  return { batch };
}

export type EventTimes = ReturnType<typeof createEventTimes>;
