import type { DeviceFlag, FleetDevice } from '../../shared/contract/console.ts';
import type { DeviceRow } from '../store/device-health.ts';

/** Kiosks send a heartbeat every 5 minutes while they run: three missed ones make a device stale. */
export const STALE_AFTER_MS = 15 * 60_000;
/** A backlog older than this means the kiosk is not getting its consents to the API. */
export const BACKLOG_AGE_MS = 60 * 60_000;

/** What the API knows of a device's profile besides its heartbeat: the newest published for it, flagged consents. */
export type ProfileFacts = { published: FleetDevice['profilePublished']; unapprovedNotices: number };
const NO_PROFILE_FACTS: ProfileFacts = { published: null, unapprovedNotices: 0 };

/** One device as the fleet page shows it, with the reasons it needs a look. */
export function fleetDevice(
  row: DeviceRow,
  clock: { offsetMs: number; observedAt: string } | undefined,
  nowMs: number,
  clockToleranceMs: number,
  profile: ProfileFacts = NO_PROFILE_FACTS,
): FleetDevice {
  const heartbeat = row.heartbeat;
  const persistentGaps = row.chain.missing.filter((gap) => gap.persistent).length;
  const flags: DeviceFlag[] = [];
  if (row.revokedAt) flags.push('revoked');
  else if (!heartbeat) flags.push('never_reported');
  else if (nowMs - Date.parse(heartbeat.receivedAt) > STALE_AFTER_MS) flags.push('stale');
  if (heartbeat && heartbeat.dead > 0) flags.push('dead_letters');
  if (heartbeat?.oldestPendingAgeMs != null && heartbeat.oldestPendingAgeMs > BACKLOG_AGE_MS) flags.push('backlog');
  if (persistentGaps > 0) flags.push('chain_gap');
  if (clock && Math.abs(clock.offsetMs) > clockToleranceMs) flags.push('clock_offset');
  // lagging: something newer is published than what the kiosk says it shows (or it has never said which profile)
  const inForce = heartbeat?.profileInForce ?? null;
  if (!row.revokedAt && profile.published && (inForce === null || inForce.revision < profile.published.revision)) flags.push('profile_lagging');
  if (profile.unapprovedNotices > 0) flags.push('unapproved_notices');
  return {
    deviceId: row.deviceId,
    placement: row.placement,
    enrolledAt: row.enrolledAt,
    revokedAt: row.revokedAt,
    lastHeartbeatAt: heartbeat?.receivedAt ?? null,
    lastIngestAt: row.lastIngestAt,
    pending: heartbeat?.pending ?? null,
    oldestPendingAgeMs: heartbeat?.oldestPendingAgeMs ?? null,
    dead: heartbeat?.dead ?? null,
    clockOffsetMs: clock?.offsetMs ?? null,
    clockObservedAt: clock?.observedAt ?? null,
    appVersion: heartbeat?.appVersion ?? row.appVersion,
    profileVersion: heartbeat?.profileVersion ?? null,
    profileInForce: inForce,
    profilePublished: profile.published,
    unapprovedNotices: profile.unapprovedNotices,
    chain: { contiguousSeq: row.chain.contiguousSeq, highestSeq: row.chain.highestSeq, persistentGaps },
    flags,
  };
}
