import type Database from 'better-sqlite3';
import type { ClockObservationBody } from '../../shared/contract/chain-event.ts';
import type { LedgerClock } from './clock.ts';

/** How long after an observation the device clock still counts as known-good (monotonic time). */
export const KNOWN_GOOD_FOR_MS = 60 * 60_000;
/** The largest error, offset plus half the round trip, a known-good clock may have. */
export const KNOWN_GOOD_WITHIN_MS = 2_000;

/** What one clock observation measured, in the device's own terms. */
export type ObservationFacts = {
  bootId: string;
  receivedMono: number;
  receivedAtMs: number;
  /** The API's time minus the device's wall clock at the midpoint of the request (NTP's estimate). */
  offsetMs: number;
  roundTripMs: number;
};

export function observationFacts(body: Pick<ClockObservationBody, 'statement' | 'sent' | 'received'>, bootId: string): ObservationFacts {
  const sentMs = Date.parse(body.sent.at);
  const receivedMs = Date.parse(body.received.at);
  return {
    bootId,
    receivedMono: body.received.monoMs,
    receivedAtMs: receivedMs,
    offsetMs: Math.round(Date.parse(body.statement.statement.issuedAt) - (sentMs + receivedMs) / 2),
    roundTripMs: Math.max(0, body.received.monoMs - body.sent.monoMs),
  };
}

/** Whether `facts`, an observation of this boot, still vouch for the clock reading (`nowMs`, `monoMs`). */
function knownGoodBy(facts: ObservationFacts, nowMs: number, monoMs: number): boolean {
  const elapsed = monoMs - facts.receivedMono;
  if (elapsed < 0 || elapsed > KNOWN_GOOD_FOR_MS) return false;
  const offsetNow = facts.offsetMs - (nowMs - facts.receivedAtMs - elapsed);
  return Math.abs(offsetNow) + facts.roundTripMs / 2 <= KNOWN_GOOD_WITHIN_MS;
}

type ObservationRow = { boot_id: string; received_mono: number; received_at: number; offset_ms: number; round_trip_ms: number };

/**
 * Whether the device clock is known to be good, from the last clock observation of this boot: it must be recent
 * (at most KNOWN_GOOD_FOR_MS of monotonic time ago) and the clock's error now — the offset measured then, plus
 * however far the wall clock has moved against the monotonic clock since (a step, a correction, drift), plus half
 * the round trip — at most KNOWN_GOOD_WITHIN_MS. Kept in memory, so a capture reads no table for it.
 */
export function clockQuality(db: Database.Database, clock: LedgerClock) {
  const row = db
    .prepare(
      'SELECT boot_id, received_mono, received_at, offset_ms, round_trip_ms FROM clock_observations WHERE boot_id = ? ORDER BY seq DESC LIMIT 1',
    )
    .get(clock.bootId) as ObservationRow | undefined;
  let last: ObservationFacts | null = row
    ? { bootId: row.boot_id, receivedMono: row.received_mono, receivedAtMs: row.received_at, offsetMs: row.offset_ms, roundTripMs: row.round_trip_ms }
    : null;
  const insert = db.prepare(
    'INSERT INTO clock_observations (seq, boot_id, received_mono, received_at, offset_ms, round_trip_ms) VALUES (?, ?, ?, ?, ?, ?)',
  );

  return {
    knownGood: (nowMs: number, monoMs: number): boolean => last !== null && knownGoodBy(last, nowMs, monoMs),
    knownGoodBy,
    /** Monotonic milliseconds since the last observation of this boot, or null when this boot has none yet. */
    ageMs(monoMs: number): number | null {
      return last ? monoMs - last.receivedMono : null;
    },
    /** The last observation of this boot, as the diagnostics screen shows it; null before the first. */
    reading(nowMs: number, monoMs: number): { offsetMs: number; roundTripMs: number; ageMs: number; knownGood: boolean } | null {
      return last ? { offsetMs: last.offsetMs, roundTripMs: last.roundTripMs, ageMs: monoMs - last.receivedMono, knownGood: knownGoodBy(last, nowMs, monoMs) } : null;
    },
    /** Inside the transaction that appends the observation event at `seq`. */
    record(seq: number, facts: ObservationFacts): void {
      insert.run(seq, facts.bootId, facts.receivedMono, facts.receivedAtMs, facts.offsetMs, facts.roundTripMs);
    },
    /** After that transaction committed. */
    remember(facts: ObservationFacts): void {
      if (facts.bootId === clock.bootId) last = facts;
    },
  };
}

export type ClockQuality = ReturnType<typeof clockQuality>;
