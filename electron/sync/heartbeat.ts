import type { KioskStatus } from '../../shared/contract/status.ts';
import type { FunnelCount } from '../../shared/contract/funnel.ts';
import { Heartbeat } from '../../shared/contract/sync.ts';

const MAX_FUNNEL_ROWS = 5_000;

/** What the API learns about a kiosk's health besides its events: backlog, dead letters, versions, funnel counts. */
export function buildHeartbeat(input: {
  status: Pick<KioskStatus, 'outbox' | 'oldestPendingAgeMs'>;
  funnel: FunnelCount[];
  lastSyncAt: string | null;
  appVersion: string;
  profileVersion: string | null;
}): Heartbeat {
  return Heartbeat.parse({
    pending: input.status.outbox.pending,
    dead: input.status.outbox.dead,
    oldestPendingAgeMs: input.status.oldestPendingAgeMs,
    lastSyncAt: input.lastSyncAt,
    appVersion: input.appVersion,
    profileVersion: input.profileVersion,
    // the most recent days matter most to an operator; the contract bounds the list
    funnel: input.funnel.toSorted((a, b) => b.day.localeCompare(a.day)).slice(0, MAX_FUNNEL_ROWS),
  });
}
