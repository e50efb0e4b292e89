import type { FunnelCount } from '../../shared/contract/funnel.ts';
import type { KioskStatus, SyncState, SyncStatus } from '../../shared/contract/status.ts';
import { MAX_BATCH_EVENTS, type IngestResult } from '../../shared/contract/sync.ts';
import { ApiFailure, createApiClient } from './api-client.ts';
import { DEFAULT_BACKOFF, retryDelay, type BackoffPolicy } from './backoff.ts';
import { measureClockOffset } from './clock-offset.ts';
import type { SecretSealing } from '../ledger/key-vault.ts';
import type { OutboxJsonItem } from '../ledger/outbox.ts';
import { enrolDevice, readCredential, setAsideRefusedCredential, type CredentialLookup, type StoredCredential } from './enrolment.ts';
import { buildHeartbeat } from './heartbeat.ts';
import { watchReachability } from './reachability.ts';
import { readSyncState, writeSyncState } from './sync-state.ts';

/**
 * What the worker needs from the ledger (electron/ledger): the outbox, a place to record what the API said, and the
 * key vault's sealer for the device credential.
 */
export type SyncLedger = SecretSealing & {
  readonly deviceId: string;
  readonly keyId: string;
  /** Raw Ed25519 public key, base64url: what enrolment registers. */
  readonly publicKey: string;
  /**
   * Pending events in sequence order after `afterSeq`, at most `limit` of them, each as the JSON text of its
   * IngestItem: the request body is put together from these texts, nothing is parsed and serialised again.
   */
  readOutboxJson(limit: number, afterSeq?: number): OutboxJsonItem[];
  /** Marks accepted/duplicate events synced and rejected ones dead (with the reason), in one transaction. */
  applySyncResults(results: LedgerSyncResult[]): void;
  noteSyncFailure(ids: string[], message: string): void;
  status(): Pick<KioskStatus, 'outbox' | 'oldestPendingAgeMs'>;
  funnelCounts(): FunnelCount[];
};

export type LedgerSyncResult = { id: string; status: IngestResult['status']; reason?: string };

export type WakeReason = 'start' | 'capture' | 'network-up' | 'timer' | 'retry' | 'enrolled' | 'manual';

export type SyncWorkerOptions = {
  ledger: SyncLedger;
  apiUrl: string;
  /** Where the device credential and sync-state.json live (the kiosk's data dir). */
  dataDir: string;
  appVersion: string;
  /** A one-time enrolment token, used when no credential is stored yet. */
  enrolmentToken?: string;
  profileVersion?: () => string | null;
  batchSize?: number;
  /** Per request; a slower answer counts as a timeout and is retried. */
  timeoutMs?: number;
  backoff?: Partial<BackoffPolicy>;
  /** The timer wake: how often a quiet kiosk looks for work and sends its heartbeat when due. */
  intervalMs?: number;
  /** While offline, how often GET /health is probed for network-up. */
  probeIntervalMs?: number;
  heartbeatIntervalMs?: number;
  /** On stop, how long the in-flight batch may run before it is aborted (its events then stay pending). */
  stopGraceMs?: number;
  now?: () => number;
  random?: () => number;
  log?: (line: string) => void;
};

export type SyncWorker = ReturnType<typeof createSyncWorker>;

const STATE_WRITE_INTERVAL_MS = 1_000;

/**
 * Batches in flight at once once the API has answered one in this drain. The API checks each batch whole on one of
 * its verify threads (one per core): with three in flight, a thread that finishes a batch finds the next one already
 * queued while the kiosk applies the oldest answer and reads ahead, so no thread waits on the round trip. More would
 * only queue on the API.
 */
export const PIPELINE_DEPTH = 3;

/**
 * Forwards the ledger's outbox to the central consent API: in sequence order, in bounded batches, one sync at a
 * time. The event id is the idempotency key, so a batch whose answer was lost is simply sent again and comes back
 * as duplicates. Rejected events go to the dead letters and never block the queue; transient failures retry with
 * capped full-jitter backoff (honouring Retry-After); a 401 parks the worker in `needs_enrolment`.
 */
export function createSyncWorker(options: SyncWorkerOptions) {
  const { ledger, dataDir } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.log(`[sync] ${line}`));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const batchSize = Math.min(options.batchSize ?? MAX_BATCH_EVENTS, MAX_BATCH_EVENTS);
  const policy: BackoffPolicy = { ...DEFAULT_BACKOFF, ...options.backoff };
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5 * 60_000;
  const client = createApiClient({ baseUrl: options.apiUrl, timeoutMs, now });

  const saved = readSyncState(dataDir);
  let state: SyncState = saved?.state === 'needs_enrolment' ? 'needs_enrolment' : 'idle';
  let lastSuccessAt = saved?.lastSuccessAt ?? null;
  let lastError = saved?.lastError ?? null;
  let lastAttemptAt = saved?.lastAttemptAt ?? null;
  let nextAttemptAt: string | null = null;
  let clockOffsetMs = saved?.clockOffsetMs ?? 0;
  let failures = 0;
  let lastHeartbeatAt = Number.NEGATIVE_INFINITY;
  let lastStateWrite = Number.NEGATIVE_INFINITY;

  let started = false;
  let stopping = false;
  let running: Promise<void> | null = null;
  let wakeAgain = false;
  const inflight = new Set<AbortController>();
  let retryTimer: NodeJS.Timeout | undefined;
  let intervalTimer: NodeJS.Timeout | undefined;
  let reachability: { stop(): void } | null = null;

  const iso = (ms: number) => new Date(ms).toISOString();

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

  /**
   * The stored credential; with none, or one this kiosk cannot open, the configured enrolment token is used (a
   * technician who brings a new token expects a restart to enrol the kiosk again).
   */
  async function credential(): Promise<CredentialLookup> {
    const lookup = readCredential(dataDir, ledger, log);
    if (lookup.state === 'enrolled' || !options.enrolmentToken) return lookup;
    if (lookup.state === 'unusable') log(`${lookup.reason} Trying the configured enrolment token.`);
    return { state: 'enrolled', credential: await enrolWith(options.enrolmentToken) };
  }

  async function enrolWith(token: string): Promise<StoredCredential> {
    const enrolled = await enrolDevice({
      client,
      apiUrl: options.apiUrl,
      dataDir,
      token,
      device: { deviceId: ledger.deviceId, keyId: ledger.keyId, publicKey: ledger.publicKey },
      sealing: ledger,
      appVersion: options.appVersion,
    }).catch((error: unknown) => {
      // a refused token does not get better by retrying it: a technician must bring a new one
      if (error instanceof ApiFailure && error.kind === 'refused') throw new ApiFailure('unauthorized', error.message, error.status);
      throw error;
    });
    log(`enrolled device ${enrolled.deviceId}`);
    return enrolled;
  }

  /**
   * Measures the clock offset before the first batch of a drain, so even events captured offline with a wrong clock
   * travel with a fresh estimate; each batch's answer then refines it.
   */
  async function measureOffset(): Promise<void> {
    const controller = new AbortController();
    inflight.add(controller);
    const sentAt = now();
    try {
      const health = await client.health(controller.signal);
      clockOffsetMs = measureClockOffset(sentAt, now(), health.serverTime);
    } finally {
      inflight.delete(controller);
    }
  }

  /** Sends one batch; resolves with the API's results for the events it sent, not yet applied. */
  async function sendBatch(bearer: string, items: OutboxJsonItem[]): Promise<IngestResult[]> {
    const controller = new AbortController();
    inflight.add(controller);
    const sentAt = now();
    lastAttemptAt = iso(sentAt);
    let response;
    try {
      response = await client.ingest(bearer, { clockOffsetMs, eventsJson: items.map((item) => item.json) }, controller.signal);
    } finally {
      inflight.delete(controller);
    }
    clockOffsetMs = measureClockOffset(sentAt, now(), response.serverTime);
    const sent = new Set(items.map((item) => item.id));
    const results = response.results.filter((result) => sent.has(result.id));
    if (results.length === 0) throw new ApiFailure('invalid_response', 'the API acknowledged none of the batch');
    return results;
  }

  function applyResults(results: IngestResult[]): void {
    ledger.applySyncResults(
      results.map((result) =>
        result.status === 'rejected'
          ? { id: result.id, status: result.status, reason: `${result.reason}: ${result.message}` }
          : { id: result.id, status: result.status },
      ),
    );
    for (const result of results) {
      if (result.status === 'rejected') log(`event ${result.id} rejected (${result.reason}): moved to dead letters`);
      if (result.status === 'accepted' && result.chainGap) {
        log(`event ${result.id}: the API is missing seq ${result.chainGap.expectedSeq}..${result.chainGap.receivedSeq - 1}`);
      }
    }
  }

  /**
   * Sends the outbox in sequence order, each batch read after the last one sent. The first batch of a drain goes
   * alone, so an API that is down, refusing the credential or asking for room sees one request, not a burst; once
   * it has answered, up to PIPELINE_DEPTH batches are in flight, and while they travel and the API verifies them
   * the kiosk applies the oldest batch's answer and reads the next batch. Answers are applied in the order the
   * batches were sent, and every answer the API gave is applied whatever ends the loop (a failed batch stays
   * pending; the API deduplicates whatever of it comes again).
   */
  async function sendOutbox(bearer: string, onBatches: (ids: string[]) => void): Promise<void> {
    const sent: { items: OutboxJsonItem[]; answer: Promise<IngestResult[]> }[] = [];
    const noteInFlight = () => onBatches(sent.flatMap((batch) => batch.items.map((item) => item.id)));
    let next = ledger.readOutboxJson(batchSize);
    let unapplied: IngestResult[] | null = null;
    let depth = 1;
    try {
      for (;;) {
        while (!stopping && sent.length < depth && next.length > 0) {
          const items = next;
          const answer = sendBatch(bearer, items);
          // a failure is handled when this batch's turn comes; until then it must not count as unhandled
          answer.catch(() => undefined);
          sent.push({ items, answer });
          noteInFlight();
          // better-sqlite3 blocks the event loop: let the request reach the wire before the local work
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (unapplied) applyResults(unapplied);
          unapplied = null;
          next = ledger.readOutboxJson(batchSize, items.at(-1)!.seq);
        }
        const oldest = sent.shift();
        if (!oldest) break;
        if (unapplied) applyResults(unapplied);
        unapplied = null;
        unapplied = await oldest.answer;
        noteInFlight();
        depth = PIPELINE_DEPTH;
        failures = 0;
        lastSuccessAt = iso(now());
        persist(false);
        if (unapplied.length < oldest.items.length) {
          // part of the batch was not acknowledged: settle everything in flight, then re-read so the unacknowledged
          // events go before anything not yet sent
          applyResults(unapplied);
          unapplied = null;
          await settle(sent.splice(0));
          next = ledger.readOutboxJson(batchSize);
        }
      }
    } finally {
      if (unapplied) applyResults(unapplied);
      await settle(sent.splice(0));
    }
  }

  /** Waits for batches still in flight after another ended the loop, applying the answers that came. */
  async function settle(batches: { answer: Promise<IngestResult[]> }[]): Promise<void> {
    for (const batch of batches) {
      const results = await batch.answer.catch(() => null);
      if (results) applyResults(results);
    }
  }

  /** Best effort: a lost heartbeat is only a stale dashboard, so it never fails a sync (a 401 still counts). */
  async function sendHeartbeat(bearer: string): Promise<void> {
    if (now() - lastHeartbeatAt < heartbeatIntervalMs) return;
    lastHeartbeatAt = now();
    const heartbeat = buildHeartbeat({
      status: ledger.status(),
      funnel: ledger.funnelCounts(),
      lastSyncAt: lastSuccessAt,
      appVersion: options.appVersion,
      profileVersion: options.profileVersion?.() ?? null,
    });
    try {
      await client.heartbeat(bearer, heartbeat);
    } catch (error) {
      if (error instanceof ApiFailure && error.kind === 'unauthorized') throw error;
      log(`heartbeat not delivered: ${(error as Error).message}`);
    }
  }

  async function drain(): Promise<void> {
    let batchIds: string[] = [];
    let presented = false;
    try {
      const lookup = await credential();
      if (lookup.state !== 'enrolled') {
        if (lookup.state === 'unusable') log(lookup.reason);
        nextAttemptAt = null;
        setState('needs_enrolment', lookup.state === 'unusable' ? lookup.reason : 'This kiosk is not enrolled with the consent API.');
        return;
      }
      const bearer = lookup.credential.credential;
      presented = true;
      setState('syncing', lastError);
      if (ledger.status().outbox.pending > 0) await measureOffset();
      await sendOutbox(bearer, (ids) => (batchIds = ids));
      if (stopping) return;
      lastSuccessAt = iso(now());
      await sendHeartbeat(bearer);
      nextAttemptAt = null;
      setState('idle', null);
    } catch (error) {
      onFailure(error, batchIds, presented);
    }
  }

  /** `presented`: the stored credential was sent, so a 401 is about it (not about an enrolment token). */
  function onFailure(error: unknown, batchIds: string[], presented: boolean): void {
    const failure = error instanceof ApiFailure ? error : null;
    if (failure?.kind === 'aborted') return;
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
      return;
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
    if (stopping) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      wake('retry');
    }, delay).unref();
    if (offline && !reachability) {
      reachability = watchReachability({
        probe: (signal) => client.reachable(signal),
        intervalMs: options.probeIntervalMs ?? 5_000,
        onUp: () => {
          reachability = null;
          wake('network-up');
        },
      });
    }
  }

  /**
   * Asks for a sync. A capture or timer wake waits out a running backoff (the API asked for room); network-up and
   * re-enrolment do not. A wake during a sync runs one more pass afterwards, never a second sync at once.
   */
  function wake(reason: WakeReason = 'capture'): void {
    if (!started || stopping) return;
    if (state === 'needs_enrolment' && reason !== 'enrolled' && reason !== 'start') return;
    if (retryTimer && (reason === 'capture' || reason === 'timer')) return;
    if (running) {
      wakeAgain = true;
      return;
    }
    clearTimeout(retryTimer);
    retryTimer = undefined;
    reachability?.stop();
    reachability = null;
    running = drain().finally(() => {
      running = null;
      if (wakeAgain && !stopping) {
        wakeAgain = false;
        wake('manual');
      }
    });
  }

  return {
    start(): void {
      if (started) return;
      started = true;
      intervalTimer = setInterval(() => wake('timer'), options.intervalMs ?? 60_000).unref();
      wake('start');
    },
    wake,
    status,
    /** Enrols (again) with a fresh token, e.g. after a 401, then syncs. */
    async enrol(token: string): Promise<void> {
      await enrolWith(token);
      setState('idle', null);
      wake('enrolled');
    },
    /** Resolves once no sync runs; the ledger may then be closed. Acknowledgements received are applied first. */
    async stop(): Promise<void> {
      stopping = true;
      clearInterval(intervalTimer);
      clearTimeout(retryTimer);
      reachability?.stop();
      if (running) {
        const grace = setTimeout(() => {
          for (const controller of inflight) controller.abort();
        }, options.stopGraceMs ?? timeoutMs);
        await running;
        clearTimeout(grace);
      }
      persist(true);
    },
    /** Resolves when the current sync (if any) has finished; for tests and the CLI's one-shot sync. */
    async idle(): Promise<void> {
      while (running) await running;
    },
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
