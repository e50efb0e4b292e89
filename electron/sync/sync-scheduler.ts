import { watchReachability } from './reachability.ts';

export type WakeReason = 'start' | 'capture' | 'network-up' | 'timer' | 'retry' | 'enrolled' | 'manual';

/** How a drain ended: done, or retry after `retryInMs` (offline: also probe for network-up meanwhile). */
export type DrainOutcome = { retryInMs: number; offline: boolean } | null;

export type SchedulerOptions = {
  drain: () => Promise<DrainOutcome>;
  /** The worker waits for a new enrolment: only `start` and `enrolled` wake it. */
  parked: () => boolean;
  intervalMs: number;
  probe: (signal: AbortSignal) => Promise<boolean>;
  probeIntervalMs: number;
};

/**
 * When the worker drains: on start, on a capture, on network-up, on the timer and after a backoff, one drain at a
 * time. A capture or timer wake waits out a running backoff (the API asked for room); network-up and re-enrolment do
 * not. A wake during a drain runs one more pass afterwards, never a second drain at once. While offline, the API's
 * GET /health is probed for network-up.
 */
export function createSyncScheduler(options: SchedulerOptions) {
  let started = false;
  let stopping = false;
  let running: Promise<void> | null = null;
  let wakeAgain = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let intervalTimer: NodeJS.Timeout | undefined;
  let reachability: { stop(): void } | null = null;

  function schedule(outcome: DrainOutcome): void {
    if (!outcome || stopping) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      wake('retry');
    }, outcome.retryInMs).unref();
    if (outcome.offline && !reachability) {
      reachability = watchReachability({
        probe: options.probe,
        intervalMs: options.probeIntervalMs,
        onUp: () => {
          reachability = null;
          wake('network-up');
        },
      });
    }
  }

  function wake(reason: WakeReason = 'capture'): void {
    if (!started || stopping) return;
    if (options.parked() && reason !== 'enrolled' && reason !== 'start') return;
    if (retryTimer && (reason === 'capture' || reason === 'timer')) return;
    if (running) {
      wakeAgain = true;
      return;
    }
    clearTimeout(retryTimer);
    retryTimer = undefined;
    reachability?.stop();
    reachability = null;
    running = options
      .drain()
      .then(schedule)
      .finally(() => {
        running = null;
        if (wakeAgain && !stopping) {
          wakeAgain = false;
          wake('manual');
        }
      });
  }

  return {
    wake,
    start(): void {
      if (started) return;
      started = true;
      intervalTimer = setInterval(() => wake('timer'), options.intervalMs).unref();
      wake('start');
    },
    stopping: () => stopping,
    /** Takes no new drain; `abort` cancels the running one's requests if it takes longer than `graceMs`. */
    async stop(abort: () => void, graceMs: number): Promise<void> {
      stopping = true;
      clearInterval(intervalTimer);
      clearTimeout(retryTimer);
      reachability?.stop();
      if (running) {
        const grace = setTimeout(abort, graceMs);
        await running;
        clearTimeout(grace);
      }
    },
    /** Resolves when the current drain (if any) has finished. */
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
}
