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
  increment(flowId: string, purposeId: string, locale: Locale, outcome: FunnelOutcome): void;
  record(report: unknown): void;
  counts(): FunnelCount[];
};

export function funnelCounters(db: Database.Database, clock: LedgerClock): FunnelCounters {
  const bump = db.prepare(
    `INSERT INTO funnel_counters (day, flow_id, purpose_id, locale, outcome, count) VALUES (?, ?, ?, ?, ?, 1)
     ON CONFLICT (day, flow_id, purpose_id, locale, outcome) DO UPDATE SET count = count + 1`,
  );
  const select = db.prepare(
    `SELECT day, flow_id AS flowId, purpose_id AS purposeId, locale, outcome, count FROM funnel_counters
     ORDER BY day, flow_id, purpose_id, locale, outcome`,
  );
  const increment: FunnelCounters['increment'] = (flowId, purposeId, locale, outcome) => {
    bump.run(utcDay(clock.now()), flowId, purposeId, locale, outcome);
  };
  const recordAll = db.transaction((report: FunnelReport) => {
    const purposeIds = report.purposeIds.length > 0 ? new Set(report.purposeIds) : [NO_PURPOSE];
    for (const purposeId of purposeIds) increment(report.flowId, purposeId, report.locale, report.outcome);
  });
  return {
    increment,
    record: (input) => {
      const report = parseOrFail(FunnelReport, input, 'funnel report');
      withStorageErrors(() => recordAll.immediate(report));
    },
    counts: () => withStorageErrors(() => select.all() as FunnelCount[]),
  };
}
