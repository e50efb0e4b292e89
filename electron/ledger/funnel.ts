import type Database from 'better-sqlite3';
import type { FunnelCount} from '../../shared/contract/funnel.ts';
import { FunnelReport, type FunnelOutcome } from '../../shared/contract/funnel.ts';
import { parseOrFail } from '../../shared/contract/errors.ts';
import type { Locale } from '../../shared/contract/primitives.ts';
import { utcDay, type LedgerClock } from './clock.ts';
import { withStorageErrors } from './storage-errors.ts';

/** A report that names no purpose (e.g. a flow abandoned before its purposes showed) is counted under this id. */
export const NO_PURPOSE = '';

export type FunnelCounters = {
  record(report: unknown): void;
  /** Folds acceptances captured since the last fold into the stored counters; call inside a write transaction. */
  fold(): void;
  counts(): FunnelCount[];
};

/**
 * Acceptances not yet folded into the counters, counted from the signed consent events themselves (a capture writes
 * no counter: see migration 3); clock observations and key rotations are never acceptances. The notice's locale is the draft's, and the capture time's UTC day is the counter's day.
 * A body damaged into invalid JSON, or missing these fields, is skipped rather than failing the query, so a tampered
 * ledger still opens and `verify` can name the break.
 */
const UNFOLDED_ACCEPTANCES = `
  SELECT day, flow_id, purpose_id, locale, 'accepted' AS outcome, COUNT(*) AS count FROM (
    SELECT substr(body ->> '$.capturedAt', 1, 10) AS day, body ->> '$.flowId' AS flow_id,
      body ->> '$.purpose.id' AS purpose_id, body ->> '$.notice.locale' AS locale
    FROM events WHERE seq > (SELECT seq FROM funnel_folded WHERE singleton = 1) AND json_valid(body)
      AND coalesce(body ->> '$.type', 'consent') = 'consent'
  )
  WHERE day IS NOT NULL AND flow_id IS NOT NULL AND purpose_id IS NOT NULL AND locale IS NOT NULL
  GROUP BY day, flow_id, purpose_id, locale`;

export function funnelCounters(db: Database.Database, clock: LedgerClock): FunnelCounters {
  const bump = db.prepare(
    `INSERT INTO funnel_counters (day, flow_id, purpose_id, locale, outcome, count) VALUES (?, ?, ?, ?, ?, 1)
     ON CONFLICT (day, flow_id, purpose_id, locale, outcome) DO UPDATE SET count = count + 1`,
  );
  const foldAcceptances = db.prepare(
    `INSERT INTO funnel_counters (day, flow_id, purpose_id, locale, outcome, count) ${UNFOLDED_ACCEPTANCES}
     ON CONFLICT (day, flow_id, purpose_id, locale, outcome) DO UPDATE SET count = count + excluded.count`,
  );
  const advanceMark = db.prepare('UPDATE funnel_folded SET seq = (SELECT seq FROM chain_head) WHERE singleton = 1');
  const select = db.prepare(
    `SELECT day, flow_id AS flowId, purpose_id AS purposeId, locale, outcome, SUM(count) AS count FROM (
       SELECT day, flow_id, purpose_id, locale, outcome, count FROM funnel_counters
       UNION ALL ${UNFOLDED_ACCEPTANCES}
     )
     GROUP BY day, flow_id, purpose_id, locale, outcome
     ORDER BY day, flow_id, purpose_id, locale, outcome`,
  );
  const increment = (flowId: string, purposeId: string, locale: Locale, outcome: FunnelOutcome) => {
    bump.run(utcDay(clock.now()), flowId, purposeId, locale, outcome);
  };
  const fold = () => {
    foldAcceptances.run();
    advanceMark.run();
  };
  // Folding here keeps the unfolded tail to the captures since the last report (a flow reports "shown" first).
  const recordAll = db.transaction((report: FunnelReport) => {
    fold();
    const purposeIds = report.purposeIds.length > 0 ? new Set(report.purposeIds) : [NO_PURPOSE];
    for (const purposeId of purposeIds) increment(report.flowId, purposeId, report.locale, report.outcome);
  });
  return {
    fold,
    record: (input) => {
      const report = parseOrFail(FunnelReport, input, 'funnel report');
      withStorageErrors(() => recordAll.immediate(report));
    },
    counts: () => withStorageErrors(() => select.all() as FunnelCount[]),
  };
}
