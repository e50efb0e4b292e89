import type Database from 'better-sqlite3';
import { Placement } from '../../shared/contract/primitives.ts';
import type { Heartbeat } from '../../shared/contract/sync.ts';

export interface DeviceRow {
  deviceId: string;
  keyId: string;
  appVersion: string;
  enrolledAt: string;
  revokedAt: string | null;
  businessIds: string[] | null;
  placement: Placement | null;
  lastIngestAt: string | null;
  /**
   * The chain as the API holds it: `contiguousSeq` without a gap, `highestSeq` at all, and what is missing in
   * between. A gap is `persistent` once it has stayed open `chainGapSettleMs` after the event beyond it arrived —
   * longer than batches in flight take to settle.
   */
  chain: { contiguousSeq: number; highestSeq: number; missing: { fromSeq: number; toSeq: number; since: string; persistent: boolean }[] };
  heartbeat: {
    receivedAt: string;
    pending: number;
    dead: number;
    oldestPendingAgeMs: number | null;
    lastSyncAt: string | null;
    appVersion: string;
    profileVersion: string | null;
    placement: Placement | null;
  } | null;
}

const placementOf = (text: string | null): Placement | null => (text === null ? null : Placement.parse(JSON.parse(text)));

/** Latest heartbeat per device and its funnel counters (the device reports running totals, so upserts replace). */
export function createDeviceHealth(db: Database.Database) {
  const upsertHeartbeat = db.prepare(`
    INSERT INTO heartbeats (device_id, received_at, pending, dead, oldest_pending_age_ms, last_sync_at, app_version, profile_version, placement)
    VALUES (@deviceId, @receivedAt, @pending, @dead, @oldestPendingAgeMs, @lastSyncAt, @appVersion, @profileVersion, @placement)
    ON CONFLICT (device_id) DO UPDATE SET received_at = excluded.received_at, pending = excluded.pending, dead = excluded.dead,
      oldest_pending_age_ms = excluded.oldest_pending_age_ms, last_sync_at = excluded.last_sync_at,
      app_version = excluded.app_version, profile_version = excluded.profile_version, placement = excluded.placement`);
  const upsertCount = db.prepare(`
    INSERT INTO funnel_counts (device_id, day, flow_id, purpose_id, locale, outcome, count)
    VALUES (@deviceId, @day, @flowId, @purposeId, @locale, @outcome, @count)
    ON CONFLICT (device_id, day, flow_id, purpose_id, locale, outcome) DO UPDATE SET count = excluded.count`);
  const selectDevices = db.prepare(`
    SELECT d.id AS deviceId, d.key_id AS keyId, d.app_version AS appVersion, d.enrolled_at AS enrolledAt, d.revoked_at AS revokedAt,
      d.business_ids AS businessIds, d.placement, d.last_ingest_at AS lastIngestAt, d.contiguous_seq AS contiguousSeq,
      (SELECT MAX(seq) FROM events e WHERE e.device_id = d.id) AS highestSeq,
      h.received_at AS receivedAt, h.pending, h.dead, h.oldest_pending_age_ms AS oldestPendingAgeMs, h.last_sync_at AS lastSyncAt,
      h.app_version AS heartbeatAppVersion, h.profile_version AS profileVersion, h.placement AS reportedPlacement
    FROM devices d LEFT JOIN heartbeats h ON h.device_id = d.id ORDER BY d.enrolled_at, d.id`);
  // The ranges missing above the contiguous head: each held event whose predecessor is not held closes one.
  const selectMissing = db.prepare(`
    SELECT previous + 1 AS fromSeq, seq - 1 AS toSeq, receivedMs FROM (
      SELECT e.seq, LAG(e.seq, 1, @contiguousSeq) OVER (ORDER BY e.seq) AS previous, t.received_ms AS receivedMs
      FROM events e JOIN event_times t ON t.device_id = e.device_id AND t.seq = e.seq
      WHERE e.device_id = @deviceId AND e.seq > @contiguousSeq)
    WHERE seq > previous + 1 ORDER BY seq LIMIT 100`);
  const selectFunnel = db.prepare(`
    SELECT day, flow_id AS flowId, purpose_id AS purposeId, locale, outcome, SUM(count) AS count
    FROM funnel_counts WHERE day BETWEEN @from AND @to
    GROUP BY day, flow_id, purpose_id, locale, outcome ORDER BY day, flow_id, purpose_id, locale, outcome`);

  return {
    recordHeartbeat: db.transaction((deviceId: string, receivedAt: string, { funnel, placement, ...status }: Heartbeat) => {
      upsertHeartbeat.run({ deviceId, receivedAt, ...status, placement: placement === undefined ? null : JSON.stringify(placement) });
      for (const count of funnel) upsertCount.run({ deviceId, ...count });
    }),

    listDevices(nowMs: number, chainGapSettleMs: number): DeviceRow[] {
      type Row = Omit<DeviceRow, 'heartbeat' | 'chain' | 'placement' | 'businessIds'> &
        Omit<NonNullable<DeviceRow['heartbeat']>, 'appVersion' | 'placement'> & {
          heartbeatAppVersion: string | null;
          businessIds: string | null;
          placement: string | null;
          reportedPlacement: string | null;
          contiguousSeq: number;
          highestSeq: number | null;
        };
      return (selectDevices.all() as Row[]).map((row) => {
        const { deviceId, keyId, appVersion, enrolledAt, revokedAt, lastIngestAt, contiguousSeq, highestSeq, heartbeatAppVersion, reportedPlacement } = row;
        const missing = (selectMissing.all({ deviceId, contiguousSeq }) as { fromSeq: number; toSeq: number; receivedMs: number }[]).map((gap) => ({
          fromSeq: gap.fromSeq,
          toSeq: gap.toSeq,
          since: new Date(gap.receivedMs).toISOString(),
          persistent: nowMs - gap.receivedMs >= chainGapSettleMs,
        }));
        return {
          deviceId, keyId, appVersion, enrolledAt, revokedAt, lastIngestAt,
          businessIds: row.businessIds === null ? null : (JSON.parse(row.businessIds) as string[]),
          placement: placementOf(row.placement),
          chain: { contiguousSeq, highestSeq: highestSeq ?? 0, missing },
          heartbeat:
            heartbeatAppVersion === null
              ? null
              : {
                  receivedAt: row.receivedAt, pending: row.pending, dead: row.dead, oldestPendingAgeMs: row.oldestPendingAgeMs,
                  lastSyncAt: row.lastSyncAt, appVersion: heartbeatAppVersion, profileVersion: row.profileVersion, placement: placementOf(reportedPlacement),
                },
        };
      });
    },

    /** Funnel counts summed over devices, per day, flow, purpose, locale and outcome. */
    funnel: (from = '0000-01-01', to = '9999-12-31') => selectFunnel.all({ from, to }),
  };
}
