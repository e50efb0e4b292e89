import type { KioskStatus } from '../../shared/contract/status.ts';
import type { FunnelCount } from '../../shared/contract/funnel.ts';
import type { Placement } from '../../shared/contract/primitives.ts';
import { ZodError } from 'zod';
import { Heartbeat, type ProfileVersion } from '../../shared/contract/sync.ts';
import { ApiFailure, type ApiClient } from './api-client.ts';
import type { SyncLedger } from './sync-ledger.ts';

const MAX_FUNNEL_ROWS = 5_000;

/** What the API learns about a kiosk's health besides its events: backlog, dead letters, versions, place, funnel counts. */
export function buildHeartbeat(input: {
  status: Pick<KioskStatus, 'outbox' | 'oldestPendingAgeMs'>;
  funnel: FunnelCount[];
  lastSyncAt: string | null;
  appVersion: string;
  profileVersion: string | null;
  profile?: ProfileVersion;
  placement?: Placement;
}): Heartbeat {
  return Heartbeat.parse({
    pending: input.status.outbox.pending,
    dead: input.status.outbox.dead,
    oldestPendingAgeMs: input.status.oldestPendingAgeMs,
    lastSyncAt: input.lastSyncAt,
    appVersion: input.appVersion,
    profileVersion: input.profileVersion,
    ...(input.profile ? { profile: input.profile } : {}),
    ...(input.placement ? { placement: input.placement } : {}),
    // the most recent days matter most to an operator; the contract bounds the list
    funnel: input.funnel.toSorted((a, b) => b.day.localeCompare(a.day)).slice(0, MAX_FUNNEL_ROWS),
  });
}

/**
 * Sends a heartbeat after a drain, at most every `intervalMs`. Best effort: a lost heartbeat is only a stale
 * dashboard, so it never fails a sync (a 401 still counts). A newer profile in the answer goes to `offerProfile`,
 * which checks it against the pinned key: the API is trusted with nothing but carrying it.
 */
export function createHeartbeatSender(deps: {
  ledger: SyncLedger;
  client: ApiClient;
  appVersion: string;
  profileVersion: () => string | null;
  profileInForce: () => ProfileVersion | undefined;
  offerProfile: (json: unknown) => void;
  placement: () => Placement | undefined;
  intervalMs: number;
  now: () => number;
  log: (line: string) => void;
}) {
  let lastSentAt = Number.NEGATIVE_INFINITY;
  return async (bearer: string, lastSyncAt: string | null): Promise<void> => {
    if (deps.now() - lastSentAt < deps.intervalMs) return;
    lastSentAt = deps.now();
    try {
      const heartbeat = buildHeartbeat({
        status: deps.ledger.status(),
        funnel: deps.ledger.funnelCounts(),
        lastSyncAt,
        appVersion: deps.appVersion,
        profileVersion: deps.profileVersion(),
        profile: deps.profileInForce(),
        placement: deps.placement(),
      });
      const answer = await deps.client.heartbeat(bearer, heartbeat);
      if (answer.profile !== undefined) deps.offerProfile(answer.profile);
    } catch (error) {
      if (error instanceof ApiFailure && error.kind === 'unauthorized') throw error;
      const reason = error instanceof ZodError ? `it is outside the contract (${error.issues[0]?.path.join('.')}: ${error.issues[0]?.message})` : (error as Error).message;
      deps.log(`heartbeat not delivered: ${reason}`);
    }
  };
}
