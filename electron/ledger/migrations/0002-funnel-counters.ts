import type { Migration } from '../migrate.ts';

/** Counts only: declines and timeouts leave no personal data behind. */
export const funnelCounters: Migration = {
  version: 2,
  name: 'funnel counters',
  sql: `
    CREATE TABLE funnel_counters (
      day TEXT NOT NULL,
      flow_id TEXT NOT NULL,
      purpose_id TEXT NOT NULL,
      locale TEXT NOT NULL,
      outcome TEXT NOT NULL CHECK (outcome IN ('shown', 'accepted', 'declined', 'timed_out')),
      count INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (day, flow_id, purpose_id, locale, outcome)
    ) STRICT, WITHOUT ROWID;
  `,
};
