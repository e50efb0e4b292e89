import { KioskFailure } from '../../shared/contract/errors.ts';
import type { RecordedObservation } from '../ledger/clock-observation.ts';
import { ApiFailure, type ApiClient } from './api-client.ts';
import { checkApiStatement } from './api-statements.ts';
import type { PinnedApiKeys } from './enrolment.ts';
import type { SyncLedger } from './sync-ledger.ts';

/** Events waiting and this boot's last observation older than this (monotonic time): observe again. */
export const OBSERVATION_INTERVAL_MS = 10 * 60_000;

export type ClockObserverDeps = {
  ledger: SyncLedger;
  client: ApiClient;
  log: (line: string) => void;
  track: (controller: AbortController) => () => void;
  /** The pins refreshed from GET /v1/keys when a statement names a key not pinned; null when not asked this time. */
  repin: () => Promise<PinnedApiKeys | null>;
  intervalMs?: number;
};

/**
 * Measures the device clock against the API and signs the measurement into the chain (docs/trust-model.md,
 * "Time"): the wall and monotonic clocks when GET /v1/devices/head left and when its signed statement came back.
 * The observation is appended before the drain sends the outbox, so it travels with it and brackets, from above,
 * every event captured since the last one.
 */
export function createClockObserver(deps: ClockObserverDeps) {
  const { ledger, client, log } = deps;
  const intervalMs = deps.intervalMs ?? OBSERVATION_INTERVAL_MS;
  return {
    /** On the first drain of each boot, and when events wait and this boot's last observation is old. */
    due(): boolean {
      const age = ledger.clockObservationAgeMs();
      return age === null || (age > intervalMs && ledger.status().outbox.pending > 0);
    },
    /**
     * Null when the API gave no statement the kiosk can rely on (logged; the drain goes on without an observation).
     * An API that cannot be reached fails the drain as any request would.
     */
    async observe(bearer: string, pinned: PinnedApiKeys): Promise<RecordedObservation | null> {
      const controller = new AbortController();
      const release = deps.track(controller);
      const sent = ledger.readClock();
      let statement;
      try {
        statement = await client.deviceHead(bearer, controller.signal);
      } catch (error) {
        if (error instanceof ApiFailure && (error.kind === 'refused' || error.kind === 'invalid_response')) {
          log(`no clock observation this time: ${error.message}`);
          return null;
        }
        throw error;
      } finally {
        release();
      }
      const received = ledger.readClock();
      let check = checkApiStatement(statement, pinned, ledger.deviceId);
      if (!check.ok && check.unpinnedKey) {
        const repinned = await deps.repin();
        if (repinned) check = checkApiStatement(statement, repinned, ledger.deviceId);
      }
      if (!check.ok) {
        log(`clock observation not recorded: ${check.reason}`);
        return null;
      }
      try {
        return ledger.recordClockObservation({ statement, sent, received });
      } catch (error) {
        if (!(error instanceof KioskFailure) || error.code !== 'invalid_request') throw error;
        log(`clock observation not recorded: ${error.message}`);
        return null;
      }
    },
  };
}
