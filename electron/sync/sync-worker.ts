import type { SignedApiStatement } from '../../shared/contract/api-statement.ts';
import type { Placement } from '../../shared/contract/primitives.ts';
import type { SyncState, SyncStatus } from '../../shared/contract/status.ts';
import { MAX_BATCH_EVENTS, type ProfileVersion } from '../../shared/contract/sync.ts';
import { ApiFailure, createApiClient } from './api-client.ts';
import { checkApiStatement } from './api-statements.ts';
import { DEFAULT_BACKOFF, retryDelay, type BackoffPolicy } from './backoff.ts';
import { createClockObserver } from './clock-observer.ts';
import { createDrainPipeline, type DrainReport } from './drain-pipeline.ts';
import { createCredentialSource, setAsideRefusedCredential, type PinnedApiKeys, type StoredCredential } from './enrolment.ts';
import { createHeartbeatSender } from './heartbeat.ts';
import { createSyncScheduler, type DrainOutcome, type WakeReason } from './sync-scheduler.ts';
import type { SyncLedger } from './sync-ledger.ts';
import { readSyncState, writeSyncState } from './sync-state.ts';

export { PIPELINE_DEPTH } from './drain-pipeline.ts';
export type { LedgerSyncResult, SyncLedger } from './sync-ledger.ts';
export type { WakeReason } from './sync-scheduler.ts';

export type SyncWorkerOptions = {
  ledger: SyncLedger;
  apiUrl: string;
  /** Where the device credential and sync-state.json live (the kiosk's data dir). */
  dataDir: string;
  appVersion: string;
  /** A one-time enrolment token, used when no credential is stored yet. */
  enrolmentToken?: string;
  profileVersion?: () => string | null;
  /** The signed profile in force, reported with every heartbeat. */
  profileInForce?: () => ProfileVersion;
  /** A newer profile the API answered a heartbeat with: handed over unchecked, for the profile guard to check. */
  offerProfile?: (json: unknown) => void;
  /** Where the terminal stands: sent at enrolment and with every heartbeat. */
  placement?: () => Placement | undefined;
  batchSize?: number;
  /** Per request; a slower answer counts as a timeout and is retried. */
  timeoutMs?: number;
  backoff?: Partial<BackoffPolicy>;
  /** The timer wake: how often a quiet kiosk looks for work and sends its heartbeat when due. */
  intervalMs?: number;
  /** While offline, how often GET /health is probed for network-up. */
  probeIntervalMs?: number;
  heartbeatIntervalMs?: number;
  /** Events waiting and this boot's last clock observation older than this: observe again (default 10 min). */
  observationIntervalMs?: number;
  /** On stop, how long the in-flight batch may run before it is aborted (its events then stay pending). */
  stopGraceMs?: number;
  now?: () => number;
  random?: () => number;
  log?: (line: string) => void;
};

export type SyncWorker = ReturnType<typeof createSyncWorker>;

const STATE_WRITE_INTERVAL_MS = 1_000;
const REPIN_INTERVAL_MS = 60 * 60_000;

/**
 * Forwards the ledger's outbox to the central consent API: in sequence order, in bounded batches, one sync at a
 * time. The event id is the idempotency key, so a batch whose answer was lost is simply sent again and comes back
 * as duplicates. Rejected events go to the dead letters and never block the queue; transient failures retry with
 * capped full-jitter backoff (honouring Retry-After); a 401 parks the worker in `needs_enrolment`. Each drain first
 * records a clock observation when one is due (clock-observer.ts), then sends (drain-pipeline.ts); when it runs is
 * the scheduler's (sync-scheduler.ts).
 */
export function createSyncWorker(options: SyncWorkerOptions) {
  const { ledger, dataDir } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.log(`[sync] ${line}`));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const policy: BackoffPolicy = { ...DEFAULT_BACKOFF, ...options.backoff };
  const client = createApiClient({ baseUrl: options.apiUrl, timeoutMs, now });
  const placement = options.placement ?? (() => undefined);

  const saved = readSyncState(dataDir);
  let state: SyncState = saved?.state === 'needs_enrolment' ? 'needs_enrolment' : 'idle';
  let lastSuccessAt = saved?.lastSuccessAt ?? null;
  let lastError = saved?.lastError ?? null;
  let lastAttemptAt = saved?.lastAttemptAt ?? null;
  let nextAttemptAt: string | null = null;
  let clockOffsetMs = saved?.clockOffsetMs ?? null;
  let failures = 0;
  let lastStateWrite = Number.NEGATIVE_INFINITY;
  let pinned: PinnedApiKeys = [];

  const inflight = new Set<AbortController>();
  const track = (controller: AbortController) => {
    inflight.add(controller);
    return () => inflight.delete(controller);
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  const credentials = createCredentialSource({
    client,
    apiUrl: options.apiUrl,
    dataDir,
    ledger,
    appVersion: options.appVersion,
    placement,
    log,
    ...(options.enrolmentToken ? { enrolmentToken: options.enrolmentToken } : {}),
  });
  let stored: StoredCredential | null = null;
  let lastRepinAt = Number.NEGATIVE_INFINITY;
  /** At most once an hour: the API replaces its statement key rarely, and a stranger's key must not cost a request per drain. */
  async function repin(): Promise<PinnedApiKeys | null> {
    if (!stored || now() - lastRepinAt < REPIN_INTERVAL_MS) return null;
    lastRepinAt = now();
    pinned = await credentials.refreshPins(stored);
    stored = { ...stored, apiKeys: pinned };
    return pinned;
  }
  const observer = createClockObserver({ ledger, client, log, track, repin, intervalMs: options.observationIntervalMs });
  const sendHeartbeat = createHeartbeatSender({
    ledger,
    client,
    appVersion: options.appVersion,
    profileVersion: options.profileVersion ?? (() => null),
    profileInForce: options.profileInForce ?? (() => undefined),
    offerProfile: options.offerProfile ?? (() => {}),
    placement,
    intervalMs: options.heartbeatIntervalMs ?? 5 * 60_000,
    now,
    log,
  });
  const scheduler = createSyncScheduler({
    drain,
    parked: () => state === 'needs_enrolment',
    intervalMs: options.intervalMs ?? 60_000,
    probe: (signal) => client.reachable(signal),
    probeIntervalMs: options.probeIntervalMs ?? 5_000,
  });
  const sendOutbox = createDrainPipeline({
    ledger,
    client,
    batchSize: Math.min(options.batchSize ?? MAX_BATCH_EVENTS, MAX_BATCH_EVENTS),
    log,
    track,
    stopping: scheduler.stopping,
    onSent: () => {
      lastAttemptAt = iso(now());
    },
    onAnswered: () => {
      failures = 0;
      lastSuccessAt = iso(now());
      persist(false);
    },
    checkStatement: (statement) => checkApiStatement(statement, pinned, ledger.deviceId),
  });

  function status(): SyncStatus {
    const ledgerStatus = ledger.status();
    return {
      state,
      lastSuccessAt,
      lastError,
      pending: ledgerStatus.outbox.pending,
      oldestPendingAgeMs: ledgerStatus.oldestPendingAgeMs,
      lastAttemptAt,
      nextAttemptAt,
    };
  }

  function persist(force: boolean): void {
    if (!force && now() - lastStateWrite < STATE_WRITE_INTERVAL_MS) return;
    lastStateWrite = now();
    try {
      writeSyncState(dataDir, { ...status(), clockOffsetMs, updatedAt: iso(now()) });
    } catch (error) {
      log(`could not write the sync state file: ${(error as Error).message}`);
    }
  }

  function setState(next: SyncState, error: string | null): void {
    const changed = next !== state || error !== lastError;
    state = next;
    lastError = error === null ? null : error.slice(0, 500);
    persist(changed);
  }

  /** Keeps the API's confirmation for the export, and says so when the API's chain misses what it acknowledged. */
  function settleDrain(report: DrainReport): void {
    const statement: SignedApiStatement | null = report.statement;
    if (!statement) return;
    ledger.saveApiStatement(statement);
    const held = statement.statement.head?.seq ?? 0;
    if (held < report.acknowledgedUpTo) {
      log(`the API's chain for this device stops at seq ${held}: seq ${held + 1} is missing there, though it acknowledged up to seq ${report.acknowledgedUpTo}`);
    }
  }

  async function drain(): Promise<DrainOutcome> {
    let batchIds: string[] = [];
    let presented = false;
    try {
      const lookup = await credentials.lookup();
      if (lookup.state !== 'enrolled') {
        if (lookup.state === 'unusable') log(lookup.reason);
        nextAttemptAt = null;
        setState('needs_enrolment', lookup.state === 'unusable' ? lookup.reason : 'This kiosk is not enrolled with the consent API.');
        return null;
      }
      const bearer = lookup.credential.credential;
      presented = true;
      setState('syncing', lastError);
      stored = lookup.credential;
      pinned = await credentials.pinnedKeys(stored);
      if (observer.due()) {
        const observed = await observer.observe(bearer, pinned);
        if (observed) clockOffsetMs = observed.offsetMs;
      }
      settleDrain(await sendOutbox(bearer, (ids) => (batchIds = ids)));
      if (scheduler.stopping()) return null;
      lastSuccessAt = iso(now());
      await sendHeartbeat(bearer, lastSuccessAt);
      nextAttemptAt = null;
      setState('idle', null);
      return null;
    } catch (error) {
      return onFailure(error, batchIds, presented);
    }
  }

  /** `presented`: the stored credential was sent, so a 401 is about it (not about an enrolment token). */
  function onFailure(error: unknown, batchIds: string[], presented: boolean): DrainOutcome {
    const failure = error instanceof ApiFailure ? error : null;
    if (failure?.kind === 'aborted') return null;
    const message = error instanceof Error ? error.message : String(error);
    if (failure?.kind === 'unauthorized') {
      log(`the API refused the device credential; the kiosk must be enrolled again (${message})`);
      try {
        if (presented) setAsideRefusedCredential(dataDir);
      } catch (asideError) {
        log(`could not set the refused credential aside: ${(asideError as Error).message}`);
      }
      nextAttemptAt = null;
      setState('needs_enrolment', message);
      return null;
    }
    if (batchIds.length > 0) {
      try {
        ledger.noteSyncFailure(batchIds, message.slice(0, 500));
      } catch (noteError) {
        log(`could not note the sync failure: ${(noteError as Error).message}`);
      }
    }
    const offline = failure?.kind === 'network' || failure?.kind === 'timeout';
    const delay = retryDelay(failures, failure?.retryAfterMs ?? null, policy, options.random);
    failures += 1;
    nextAttemptAt = iso(now() + delay);
    log(`sync failed (${message}); retrying in ${delay} ms`);
    setState(offline ? 'offline' : 'idle', message);
    return { retryInMs: delay, offline };
  }

  return {
    start: scheduler.start,
    wake: (reason?: WakeReason) => scheduler.wake(reason),
    status,
    /** Enrols (again) with a fresh token, e.g. after a 401, then syncs. */
    async enrol(token: string): Promise<void> {
      await credentials.enrol(token);
      setState('idle', null);
      scheduler.wake('enrolled');
    },
    /** Resolves once no sync runs; the ledger may then be closed. Acknowledgements received are applied first. */
    async stop(): Promise<void> {
      await scheduler.stop(() => {
        for (const controller of inflight) controller.abort();
      }, options.stopGraceMs ?? timeoutMs);
      persist(true);
    },
    /** Resolves when the current sync (if any) has finished; for tests and the CLI's one-shot sync. */
    idle: scheduler.idle,
  };
}

/**
 * For the host's composition root (`HostOptions.sync`): a factory that starts a worker over the host's ledger. The
 * host wakes it after each capture and stops it before closing the ledger.
 */
export function syncWorkerFactory(options: Omit<SyncWorkerOptions, 'ledger'>): (ledger: SyncLedger) => SyncWorker {
  return (ledger) => {
    const worker = createSyncWorker({ ...options, ledger });
    worker.start();
    return worker;
  };
}
