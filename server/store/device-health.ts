import { Placement } from '../../shared/contract/primitives.ts';
import type { FunnelRow } from '../../shared/contract/console.ts';
import type { Heartbeat } from '../../shared/contract/sync.ts';
import type { SqlDb } from './sql.ts';

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
    /** The signed profile the kiosk said it has in force (kiosks before remote profiles say nothing). */
    profileInForce: { revision: number; contentHash: string } | null;
    placement: Placement | null;
  } | null;
}

const placementOf = (text: string | null): Placement | null => (text === null ? null : Placement.parse(JSON.parse(text)));

const SELECT_DEVICES = `
  SELECT d.id AS "deviceId", d.key_id AS "keyId", d.app_version AS "appVersion", d.enrolled_at AS "enrolledAt", d.revoked_at AS "revokedAt",
    d.business_ids AS "businessIds", d.placement, d.last_ingest_at AS "lastIngestAt", d.contiguous_seq AS "contiguousSeq",
    (SELECT MAX(seq) FROM events e WHERE e.device_id = d.id) AS "highestSeq",
    h.received_at AS "receivedAt", h.pending, h.dead, h.oldest_pending_age_ms AS "oldestPendingAgeMs", h.last_sync_at AS "lastSyncAt",
    h.app_version AS "heartbeatAppVersion", h.profile_version AS "profileVersion", h.placement AS "reportedPlacement",
    CAST(h.profile_revision AS INTEGER) AS "profileRevision", h.profile_hash AS "profileHash"
  FROM devices d LEFT JOIN heartbeats h ON h.device_id = d.id ORDER BY d.enrolled_at, d.id`;
// The ranges missing above the contiguous head: each held event whose predecessor is not held closes one.
const SELECT_MISSING = `
  SELECT previous + 1 AS "fromSeq", seq - 1 AS "toSeq", "receivedMs" FROM (
    SELECT e.seq, LAG(e.seq, 1, CAST(? AS BIGINT)) OVER (ORDER BY e.seq) AS previous, t.received_ms AS "receivedMs"
    FROM events e JOIN event_times t ON t.device_id = e.device_id AND t.seq = e.seq
    WHERE e.device_id = ? AND e.seq > ?) AS held
  WHERE seq > previous + 1 ORDER BY seq LIMIT 100`;
const SELECT_FUNNEL = `
  SELECT day, flow_id AS "flowId", purpose_id AS "purposeId", locale, outcome, CAST(SUM(count) AS BIGINT) AS count
  FROM funnel_counts WHERE day BETWEEN ? AND ?
  GROUP BY day, flow_id, purpose_id, locale, outcome ORDER BY day, flow_id, purpose_id, locale, outcome`;

/** Latest heartbeat per device and its funnel counters (the device reports running totals, so upserts replace). */
export function createDeviceHealth(db: SqlDb) {
  return {
    recordHeartbeat: (deviceId: string, receivedAt: string, { funnel, placement, profile, ...status }: Heartbeat): Promise<void> =>
      db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO heartbeats (device_id, received_at, pending, dead, oldest_pending_age_ms, last_sync_at, app_version, profile_version, placement,
             profile_revision, profile_hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (device_id) DO UPDATE SET received_at = excluded.received_at, pending = excluded.pending, dead = excluded.dead,
             oldest_pending_age_ms = excluded.oldest_pending_age_ms, last_sync_at = excluded.last_sync_at,
             app_version = excluded.app_version, profile_version = excluded.profile_version, placement = excluded.placement,
             profile_revision = excluded.profile_revision, profile_hash = excluded.profile_hash`,
          [deviceId, receivedAt, status.pending, status.dead, status.oldestPendingAgeMs, status.lastSyncAt, status.appVersion, status.profileVersion,
            placement === undefined ? null : JSON.stringify(placement), profile?.revision ?? null, profile?.contentHash ?? null],
        );
        for (const count of funnel) {
          await tx.run(
            `INSERT INTO funnel_counts (device_id, day, flow_id, purpose_id, locale, outcome, count) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (device_id, day, flow_id, purpose_id, locale, outcome) DO UPDATE SET count = excluded.count`,
            [deviceId, count.day, count.flowId, count.purposeId, count.locale, count.outcome, count.count],
          );
        }
      }),

    async listDevices(nowMs: number, chainGapSettleMs: number): Promise<DeviceRow[]> {
      type Row = Omit<DeviceRow, 'heartbeat' | 'chain' | 'placement' | 'businessIds'> &
        Omit<NonNullable<DeviceRow['heartbeat']>, 'appVersion' | 'placement'> & {
          heartbeatAppVersion: string | null;
          profileRevision: number | string | null;
          profileHash: string | null;
          businessIds: string | null;
          placement: string | null;
          reportedPlacement: string | null;
          contiguousSeq: number;
          highestSeq: number | null;
        };
      const rows = await db.all<Row>(SELECT_DEVICES);
      return Promise.all(rows.map(async (row) => {
        const { deviceId, keyId, appVersion, enrolledAt, revokedAt, lastIngestAt, contiguousSeq, highestSeq, heartbeatAppVersion, reportedPlacement } = row;
        const gaps = await db.all<{ fromSeq: number; toSeq: number; receivedMs: number }>(SELECT_MISSING, [contiguousSeq, deviceId, contiguousSeq]);
        const missing = gaps.map((gap) => ({
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
                  profileInForce: row.profileRevision === null || row.profileHash === null ? null : { revision: Number(row.profileRevision), contentHash: row.profileHash },
                },
        };
      }));
    },

    /** Funnel counts summed over devices, per day, flow, purpose, locale and outcome. */
    funnel: (from = '0000-01-01', to = '9999-12-31') => db.all(SELECT_FUNNEL, [from, to]),

    /** Funnel counts summed over purposes and devices, per day, flow, locale, outcome and the site the device stands at now. */
    funnelBySite: (from = '0000-01-01', to = '9999-12-31'): Promise<FunnelRow[]> =>
      db.all<FunnelRow>(
        `SELECT day, "flowId", locale, "siteId", outcome, CAST(SUM(count) AS BIGINT) AS count FROM (
           SELECT f.day, f.flow_id AS "flowId", f.locale, COALESCE(${db.dialect.jsonText('d.placement', ['siteId'])}, '') AS "siteId", f.outcome, f.count
           FROM funnel_counts f JOIN devices d ON d.id = f.device_id WHERE f.day BETWEEN ? AND ?) AS counted
         GROUP BY day, "flowId", locale, "siteId", outcome ORDER BY day, "flowId", locale, "siteId", outcome`,
        [from, to],
      ).then((rows) => rows.map((row) => ({ ...row, count: Number(row.count) }))),

    /**
     * Each device's clock offset (API time minus its wall clock) from its latest valid clock observation: measured
     * against a statement the API signed, not what the kiosk says of itself.
     */
    clockOffsets: async (): Promise<Map<string, { offsetMs: number; observedAt: string }>> => {
      const rows = await db.all<{ deviceId: string; offsetMs: number; issuedMs: number }>(
        `SELECT c.device_id AS "deviceId", c.offset_ms AS "offsetMs", c.issued_ms AS "issuedMs" FROM clock_observations c
         WHERE c.valid = 1 AND c.seq = (SELECT MAX(o.seq) FROM clock_observations o WHERE o.device_id = c.device_id AND o.valid = 1)`,
      );
      return new Map(rows.map((row) => [row.deviceId, { offsetMs: Number(row.offsetMs), observedAt: new Date(Number(row.issuedMs)).toISOString() }]));
    },
  };
}
