import type { Migration } from '../migrate.ts';

/**
 * A capture no longer bumps the funnel's "accepted" counter in its own transaction (one more statement and one more
 * page to fsync on every capture): acceptances are the events themselves, counted from the bodies after the
 * `funnel_folded` mark and folded into the counters later. Events captured before this version were counted when
 * captured, so the mark starts at the chain head.
 */
export const acceptedCountsFromEvents: Migration = {
  version: 3,
  name: 'accepted counts from events',
  sql: `
    CREATE TABLE funnel_folded (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      seq INTEGER NOT NULL
    ) STRICT;

    INSERT INTO funnel_folded (singleton, seq) SELECT 1, seq FROM chain_head;
  `,
};
