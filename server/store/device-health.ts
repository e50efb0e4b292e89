import type Database from 'better-sqlite3';
import type { Heartbeat } from '../../shared/contract/sync.ts';

export interface DeviceRow {
  deviceId: string;
  keyId: string;
  appVersion: string;
  enrolledAt: string;
  clockOffsetMs: number | null;
  lastIngestAt: string | null;
  heartbeat: {
    receivedAt: string;
    pending: number;
    dead: number;
    oldestPendingAgeMs: number | null;
    lastSyncAt: string | null;
    appVersion: string;
    profileVersion: string | null;
  } | null;
}

/** Latest heartbeat per device and its funnel counters (the device reports running totals, so upserts replace). */
export function createDeviceHealth(db: Database.Database) {
  const upsertHeartbeat = db.prepare(`
    INSERT INTO heartbeats (device_id, received_at, pending, dead, oldest_pending_age_ms, last_sync_at, app_version, profile_version)
    VALUES (@deviceId, @receivedAt, @pending, @dead, @oldestPendingAgeMs, @lastSyncAt, @appVersion, @profileVersion)
    ON CONFLICT (device_id) DO UPDATE SET received_at = excluded.received_at, pending = excluded.pending, dead = excluded.dead,
      oldest_pending_age_ms = excluded.oldest_pending_age_ms, last_sync_at = excluded.last_sync_at,
      app_version = excluded.app_version, profile_version = excluded.profile_version`);
  const upsertCount = db.prepare(`
    INSERT INTO funnel_counts (device_id, day, flow_id, purpose_id, locale, outcome, count)
    VALUES (@deviceId, @day, @flowId, @purposeId, @locale, @outcome, @count)
    ON CONFLICT (device_id, day, flow_id, purpose_id, locale, outcome) DO UPDATE SET count = excluded.count`);
  const selectDevices = db.prepare(`
    SELECT d.id AS deviceId, d.key_id AS keyId, d.app_version AS appVersion, d.enrolled_at AS enrolledAt,
      d.clock_offset_ms AS clockOffsetMs, d.last_ingest_at AS lastIngestAt, h.received_at AS receivedAt, h.pending, h.dead,
      h.oldest_pending_age_ms AS oldestPendingAgeMs, h.last_sync_at AS lastSyncAt, h.app_version AS heartbeatAppVersion,
      h.profile_version AS profileVersion
    FROM devices d LEFT JOIN heartbeats h ON h.device_id = d.id ORDER BY d.enrolled_at`);
  const selectFunnel = db.prepare(`
    SELECT day, flow_id AS flowId, purpose_id AS purposeId, locale, outcome, SUM(count) AS count
    FROM funnel_counts WHERE day BETWEEN @from AND @to
    GROUP BY day, flow_id, purpose_id, locale, outcome ORDER BY day, flow_id, purpose_id, locale, outcome`);

  return {
    recordHeartbeat: db.transaction((deviceId: string, receivedAt: string, { funnel, ...status }: Heartbeat) => {
      upsertHeartbeat.run({ deviceId, receivedAt, ...status });
      for (const count of funnel) upsertCount.run({ deviceId, ...count });
    }),

    listDevices(): DeviceRow[] {
      type Row = Omit<DeviceRow, 'heartbeat'> & Omit<NonNullable<DeviceRow['heartbeat']>, 'appVersion'> & { heartbeatAppVersion: string | null };
      return (selectDevices.all() as Row[]).map(({ deviceId, keyId, appVersion, enrolledAt, clockOffsetMs, lastIngestAt, heartbeatAppVersion, ...h }) => ({
        deviceId, keyId, appVersion, enrolledAt, clockOffsetMs, lastIngestAt,
        heartbeat: heartbeatAppVersion === null ? null : { ...h, appVersion: heartbeatAppVersion },
      }));
    },

    /** Funnel counts summed over devices, per day, flow, purpose, locale and outcome. */
    funnel: (from = '0000-01-01', to = '9999-12-31') => selectFunnel.all({ from, to }),
  };
}
