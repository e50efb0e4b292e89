import { afterEach, describe, expect, it } from 'vitest';
import { clockQuality, KNOWN_GOOD_FOR_MS, KNOWN_GOOD_WITHIN_MS, observationFacts, type ObservationFacts } from '../../../electron/ledger/clock-quality.ts';
import type { Ledger } from '../../../electron/ledger/ledger.ts';
import { migrate } from '../../../electron/ledger/migrate.ts';
import { openLedgerDatabase } from '../../../electron/ledger/open-database.ts';
import { apiStatementKey, draft, freshLedger, manualClock, observeClock, pendingConsents, tempDataDir, terms } from './fixtures.ts';

// When the kiosk calls its own clock known-good, the claim it signs into every event (docs/event-format.md, "The
// device clock"): at the edges of the hour and of the two seconds, and across a restart within one boot.

const open: Ledger[] = [];
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
});

const BOOT = '6b1c7c52-9d1e-4c55-8a0e-8f3f2f1f0a01';
/** An observation received at wall 10:00:00 and monotonic 1 000 000 ms, `offsetMs` off, `roundTripMs` long. */
const facts = (offsetMs = 0, roundTripMs = 0): ObservationFacts => ({
  bootId: BOOT,
  receivedMono: 1_000_000,
  receivedAtMs: Date.parse('2026-11-05T10:00:00.000Z'),
  offsetMs,
  roundTripMs,
});

function judge() {
  const db = openLedgerDatabase(tempDataDir(), { create: true });
  migrate(db);
  const quality = clockQuality(db, { ...manualClock(), bootId: BOOT });
  db.close();
  return quality.knownGoodBy;
}

describe('the known-good clock', () => {
  it('is known-good for an hour of monotonic time after the observation, not a millisecond longer, and never before it', () => {
    const knownGoodBy = judge();
    const observed = facts();
    const after = (ms: number) => knownGoodBy(observed, observed.receivedAtMs + ms, observed.receivedMono + ms);
    expect(after(0)).toBe(true);
    expect(after(KNOWN_GOOD_FOR_MS)).toBe(true);
    expect(after(KNOWN_GOOD_FOR_MS + 1)).toBe(false);
    expect(after(-1)).toBe(false);
    expect(KNOWN_GOOD_FOR_MS).toBe(3_600_000);
  });

  it('allows an error of two seconds — measured offset, wall-clock movement and half the round trip together — and no more', () => {
    const knownGoodBy = judge();
    const at = (observed: ObservationFacts, wallStepMs = 0) => knownGoodBy(observed, observed.receivedAtMs + 60_000 + wallStepMs, observed.receivedMono + 60_000);
    expect(KNOWN_GOOD_WITHIN_MS).toBe(2_000);
    expect(at(facts(2_000))).toBe(true);
    expect(at(facts(2_001))).toBe(false);
    expect(at(facts(-2_000))).toBe(true);
    expect(at(facts(-2_001))).toBe(false);
    expect(at(facts(1_000, 2_000))).toBe(true);
    expect(at(facts(1_000, 2_002))).toBe(false);
    // a wall clock stepped back 1.5 s since an observation that found it 1 s fast is now 0.5 s slow
    expect(at(facts(-1_000), -1_500)).toBe(true);
    expect(at(facts(-1_000), 1_001)).toBe(false);
    expect(at(facts(1_000), 1_001)).toBe(true);
  });

  it('measures the offset at the middle of the request, and never a negative round trip', () => {
    const issuedAt = '2026-11-05T10:00:01.000Z';
    const body = (sent: [string, number], received: [string, number]) => ({
      statement: { ...apiStatementKey().sign(BOOT, new Date(issuedAt)) },
      sent: { at: sent[0], monoMs: sent[1] },
      received: { at: received[0], monoMs: received[1] },
    });
    expect(observationFacts(body(['2026-11-05T10:00:00.000Z', 500], ['2026-11-05T10:00:00.401Z', 901]), BOOT)).toEqual({
      bootId: BOOT,
      receivedMono: 901,
      receivedAtMs: Date.parse('2026-11-05T10:00:00.401Z'),
      offsetMs: 800,
      roundTripMs: 401,
    });
    expect(observationFacts(body(['2026-11-05T10:00:00.000Z', 900], ['2026-11-05T10:00:00.000Z', 500]), BOOT).roundTripMs).toBe(0);
  });

  it('stays known-good across a restart of the kiosk within one boot, judged by the latest observation of that boot', () => {
    const clock = manualClock();
    const { ledger, dataDir } = freshLedger({ clock });
    observeClock(ledger, clock, apiStatementKey(), { offsetMs: 5_000 });
    clock.advanceMs(1_000);
    observeClock(ledger, clock, apiStatementKey(), { offsetMs: 100 });
    clock.advanceMs(250);
    expect(ledger.clockObservationAgeMs()).toBe(250);
    ledger.close();
    const { ledger: restarted } = freshLedger({ dataDir, clock });
    open.push(restarted);
    expect(restarted.clockObservationAgeMs()).toBe(250);
    restarted.capture(draft(), terms);
    expect(pendingConsents(restarted).at(-1)!.clock.knownGood).toBe(true);
  });

  it('shows the technician the last observation of this boot: its offset, round trip, age and verdict, and nothing before the first', () => {
    const clock = manualClock();
    const { ledger } = freshLedger({ clock });
    open.push(ledger);
    expect(ledger.clockReading()).toBeNull();
    observeClock(ledger, clock, apiStatementKey(), { offsetMs: 1_500, roundTripMs: 400 });
    clock.advanceMs(90_000);
    expect(ledger.clockReading()).toEqual({ offsetMs: 1_500, roundTripMs: 400, ageMs: 90_000, knownGood: true });
    clock.advanceMs(KNOWN_GOOD_FOR_MS);
    expect(ledger.clockReading()).toEqual({ offsetMs: 1_500, roundTripMs: 400, ageMs: 90_000 + KNOWN_GOOD_FOR_MS, knownGood: false });
  });
});
