import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { ConsentEvent, SubjectOpening } from '../../shared/contract/consent-event.ts';
import { parseOrFail } from '../../shared/contract/errors.ts';
import type { KioskStatus } from '../../shared/contract/status.ts';
import type { LedgerClock } from './clock.ts';
import { unsealOpening } from './personal-data.ts';
import { withStorageErrors } from './storage-errors.ts';

export const SyncResults = z.array(
  z
    .object({
      id: z.uuid(),
      status: z.enum(['accepted', 'duplicate', 'rejected']),
      reason: z.string().max(500).optional(),
    })
    .strict(),
);
export type SyncResults = z.infer<typeof SyncResults>;

export type OutboxItem = { event: ConsentEvent; subject: SubjectOpening | null };

type OutboxRow = { id: string; body: string; sig: string; sealed: Buffer | null };

const MAX_ERROR_LENGTH = 500;

/**
 * The sync worker's side of the ledger. Sync state lives in its own table, so marking an event synced or dead
 * never touches the signed rows.
 */
export function outboxQueue(db: Database.Database, clock: LedgerClock, dataKey: () => Buffer | null) {
  const pending = db.prepare(
    `SELECT e.id, e.body, e.sig, e.opening AS sealed FROM outbox o JOIN events e ON e.seq = o.seq
     WHERE o.state = 'pending' AND o.seq > ? ORDER BY o.seq LIMIT ?`,
  );
  const markSynced = db.prepare(
    `UPDATE outbox SET state = 'synced', synced_at = ?, last_error = NULL
     WHERE state = 'pending' AND seq = (SELECT seq FROM events WHERE id = ?)`,
  );
  const markDead = db.prepare(
    `UPDATE outbox SET state = 'dead', last_error = ?
     WHERE state = 'pending' AND seq = (SELECT seq FROM events WHERE id = ?)`,
  );
  const markFailure = db.prepare(
    `UPDATE outbox SET attempts = attempts + 1, last_error = ?
     WHERE state = 'pending' AND seq = (SELECT seq FROM events WHERE id = ?)`,
  );
  const counts = db.prepare('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state');
  const oldest = db.prepare("SELECT MIN(enqueued_at) AS at FROM outbox WHERE state = 'pending'");

  const apply = db.transaction((results: SyncResults) => {
    const now = clock.now().getTime();
    for (const result of results) {
      if (result.status === 'rejected') markDead.run(result.reason ?? 'rejected by the central API', result.id);
      else markSynced.run(now, result.id);
    }
  });
  const fail = db.transaction((ids: string[], message: string) => {
    for (const id of ids) markFailure.run(message.slice(0, MAX_ERROR_LENGTH), id);
  });

  return {
    /** Pending events after `afterSeq` (so the next batch can be read while one is in flight). */
    read(limit: number, afterSeq = 0): OutboxItem[] {
      const bounded = parseOrFail(z.number().int().min(1).max(10_000), limit, 'outbox limit');
      const after = parseOrFail(z.number().int().min(0), afterSeq, 'outbox position');
      const key = dataKey();
      return withStorageErrors(() =>
        (pending.all(after, bounded) as OutboxRow[]).map((row) => ({
          event: { ...(JSON.parse(row.body) as Omit<ConsentEvent, 'sig'>), sig: row.sig },
          subject: key && row.sealed ? unsealOpening(key, row.id, row.sealed) : null,
        })),
      );
    },
    applyResults(input: unknown): void {
      const results = parseOrFail(SyncResults, input, 'sync results');
      withStorageErrors(() => apply.immediate(results));
    },
    noteFailure(ids: string[], message: string): void {
      const parsed = parseOrFail(z.array(z.uuid()), ids, 'event ids');
      withStorageErrors(() => fail.immediate(parsed, message));
    },
    status(): Pick<KioskStatus, 'outbox' | 'oldestPendingAgeMs'> {
      return withStorageErrors(() => {
        const outbox = { pending: 0, synced: 0, dead: 0 };
        for (const row of counts.all() as Array<{ state: keyof typeof outbox; n: number }>) outbox[row.state] = row.n;
        const at = (oldest.get() as { at: number | null }).at;
        return { outbox, oldestPendingAgeMs: at === null ? null : Math.max(0, clock.now().getTime() - at) };
      });
    },
  };
}
