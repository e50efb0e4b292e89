import type Database from 'better-sqlite3';
import { ClockObservationBody } from '../../shared/contract/chain-event.ts';
import { KioskFailure, parseOrFail } from '../../shared/contract/errors.ts';
import type { ChainAppend } from './chain-append.ts';
import type { LedgerClock } from './clock.ts';
import { observationFacts, type ClockQuality } from './clock-quality.ts';
import { withStorageErrors } from './storage-errors.ts';

/** What the sync worker hands over: the API's statement and the device clock when the request left and returned. */
export const ObservationInput = ClockObservationBody.pick({ statement: true, sent: true, received: true }).strict();
export type ObservationInput = ReturnType<typeof ObservationInput.parse>;

export type RecordedObservation = { id: string; seq: number; offsetMs: number; roundTripMs: number; knownGood: boolean };

/**
 * Appends a clock observation to the chain: a signed record that at `received` (device clocks) this device held a
 * statement the API signed at `issuedAt`. The statement's signature is the sync worker's to check (it holds the
 * API's pinned keys); the ledger checks that it is about this device and that the readings are of this boot and in
 * order. Events after it in the chain provably happened after `issuedAt`.
 */
export function prepareClockObservation(db: Database.Database, chain: ChainAppend, clock: LedgerClock, quality: ClockQuality) {
  const append = db.transaction((input: ObservationInput) => {
    const facts = observationFacts(input, clock.bootId);
    // the observation's own clock is judged by what it has just measured
    const stamp = chain.stamp((nowMs, monoMs) => quality.knownGoodBy(facts, nowMs, monoMs));
    const body: ClockObservationBody = { ...chain.nextLink(chain.head(), stamp), type: 'clock_observation', ...input };
    const hash = chain.write(body, null);
    quality.record(body.seq, facts);
    chain.setHead({ seq: body.seq, hash });
    return { body, facts };
  });

  return (raw: unknown): RecordedObservation => {
    const input = parseOrFail(ObservationInput, raw, 'clock observation');
    if (input.statement.statement.deviceId !== chain.deviceId) {
      throw new KioskFailure('invalid_request', 'The API statement is about another device; it was not recorded.');
    }
    if (!(input.sent.monoMs <= input.received.monoMs && input.received.monoMs <= clock.monoMs())) {
      throw new KioskFailure('invalid_request', 'The clock readings are not of this boot, in order; the observation was not recorded.');
    }
    const { body, facts } = withStorageErrors(() => append.immediate(input));
    quality.remember(facts);
    return { id: body.id, seq: body.seq, offsetMs: facts.offsetMs, roundTripMs: facts.roundTripMs, knownGood: body.clock.knownGood };
  };
}
