import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { ChainEvent } from '../../shared/contract/chain-event.ts';
import type { SubjectOpening } from '../../shared/contract/consent-event.ts';
import { parseOrFail } from '../../shared/contract/errors.ts';
import type { KioskStatus } from '../../shared/contract/status.ts';
import type { LedgerClock } from './clock.ts';
import { unsealOpeningJson } from './personal-data.ts';
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

export type OutboxItem = { event: ChainEvent; subject: SubjectOpening | null };

/**
 * One pending event ready for the wire: `json` is the JSON text of its IngestItem (`{event, subject}`), put together
 * from the stored texts — the canonical body, the signature and the unsealed opening — without parsing any of them.
 * `rotation`: the event is a key rotation; everything after it is signed by the key it names.
 */
export type OutboxJsonItem = { id: string; seq: number; json: string; rotation: boolean };

type OutboxRow = { seq: number; id: string; body: string; sig: string; sealed: Buffer | null; rotation: number };

const MAX_ERROR_LENGTH = 500;

const COMMITMENT_KEY = '"subject":{"commitment":"';

/**
 * `subject.commitment` of a stored canonical body, read from the text: keys are sorted, so `subject` opens with
 * `commitment`, and a quote inside a string value is always escaped, so the key cannot be mimicked by a value.
 */
function commitmentIn(body: string): string | null {
  const at = body.indexOf(COMMITMENT_KEY);
  return at < 0 ? null : body.slice(at + COMMITMENT_KEY.length, at + COMMITMENT_KEY.length + 64);
}

export type DeadLetter = { seq: number; id: string; type: string; reason: string | null; attempts: number };

/**
 * The sync worker's side of the ledger. Sync state lives in its own table, so marking an event synced or dead
 * never touches the signed rows; a capture writes none of it: an event with no settled (`synced` or `dead`) row in
 * `sync_state` is pending (migration 5). Pending reads start above `sync_floor`, below which everything has settled.
 */
export function outboxQueue(db: Database.Database, clock: LedgerClock, dataKey: () => Buffer | null) {
  const unsettled = "NOT EXISTS (SELECT 1 FROM sync_state s WHERE s.seq = e.seq AND s.state <> 'pending')";
  // A key rotation at seq s is the only event followed by a key from s + 1 (device_keys is keyed by from_seq).
  const pending = db.prepare(
    `SELECT e.seq, e.id, e.body, e.sig, e.opening AS sealed, EXISTS (SELECT 1 FROM device_keys k WHERE k.from_seq = e.seq + 1) AS rotation
     FROM events e
     WHERE e.seq > max(?, (SELECT seq FROM sync_floor)) AND ${unsettled} ORDER BY e.seq LIMIT ?`,
  );
  // The first unsettled event after the floor ends the run of settled ones (ORDER BY … LIMIT 1 stops there; MIN
  // with a WHERE would count through the whole backlog); with none, everything up to the last event has settled.
  const advanceFloor = db.prepare(
    `UPDATE sync_floor SET seq = coalesce(
       (SELECT e.seq - 1 FROM events e WHERE e.seq > sync_floor.seq AND ${unsettled} ORDER BY e.seq LIMIT 1),
       (SELECT max(seq) FROM events), 0)
     WHERE singleton = 1`,
  );
  const seqOf = db.prepare('SELECT seq FROM events WHERE id = ?').pluck();
  // A run of consecutive acknowledged events is one statement. Only a pending event changes state: a synced one
  // keeps its first acknowledgement, a dead one stays dead.
  const markSynced = db.prepare(
    `INSERT INTO sync_state (seq, state, synced_at) SELECT seq, 'synced', ? FROM events WHERE seq BETWEEN ? AND ?
     ON CONFLICT (seq) DO UPDATE SET state = 'synced', synced_at = excluded.synced_at, last_error = NULL WHERE state = 'pending'`,
  );
  const markDead = db.prepare(
    `INSERT INTO sync_state (seq, state, last_error) SELECT seq, 'dead', ? FROM events WHERE id = ?
     ON CONFLICT (seq) DO UPDATE SET state = 'dead', last_error = excluded.last_error WHERE state = 'pending'`,
  );
  const markFailure = db.prepare(
    `INSERT INTO sync_state (seq, state, attempts, last_error) SELECT seq, 'pending', 1, ? FROM events WHERE id = ?
     ON CONFLICT (seq) DO UPDATE SET attempts = attempts + 1, last_error = excluded.last_error WHERE state = 'pending'`,
  );
  const settledCounts = db.prepare("SELECT state, COUNT(*) AS n FROM sync_state WHERE state <> 'pending' GROUP BY state");
  // Seqs run from 1 without gaps (each one is the chain head's next, and events are never deleted), so the events
  // above the floor are counted from the last seq rather than by walking the backlog's rows.
  const pendingCount = db.prepare(
    `SELECT coalesce((SELECT max(seq) FROM events), 0) - f.seq
       - (SELECT COUNT(*) FROM sync_state s WHERE s.seq > f.seq AND s.state <> 'pending')
     FROM sync_floor f`,
  ).pluck();
  const dead = db.prepare(
    `SELECT s.seq, e.id, coalesce(e.body ->> '$.type', 'consent') AS type, s.last_error AS reason, s.attempts
     FROM sync_state s JOIN events e ON e.seq = s.seq WHERE s.state = 'dead' ORDER BY s.seq LIMIT ?`,
  );
  const lowerFloorToDead = db.prepare(
    "UPDATE sync_floor SET seq = coalesce(min(seq, (SELECT MIN(seq) - 1 FROM sync_state WHERE state = 'dead')), seq)",
  );
  // requeued events have no attempts yet: they are pending like a fresh capture
  const deleteDead = db.prepare("DELETE FROM sync_state WHERE state = 'dead'");
  const lastSynced = db.prepare("SELECT seq FROM sync_state WHERE state = 'synced' ORDER BY seq DESC LIMIT 1").pluck();
  // The first pending event in chain order is the one waiting longest (capturedAt is the ledger clock at capture).
  const oldest = db.prepare(
    `SELECT CASE WHEN json_valid(e.body) THEN e.body ->> '$.capturedAt' END FROM events e
     WHERE e.seq > (SELECT seq FROM sync_floor) AND ${unsettled} ORDER BY e.seq LIMIT 1`,
  ).pluck();

  const apply = db.transaction((results: SyncResults) => {
    const now = clock.now().getTime();
    let run: { from: number; to: number } | null = null;
    for (const result of results) {
      if (result.status === 'rejected') {
        markDead.run(result.reason ?? 'rejected by the central API', result.id);
        continue;
      }
      const seq = seqOf.get(result.id) as number | undefined;
      if (seq === undefined) continue;
      if (run && seq === run.to + 1) {
        run.to = seq;
        continue;
      }
      if (run) markSynced.run(now, run.from, run.to);
      run = { from: seq, to: seq };
    }
    if (run) markSynced.run(now, run.from, run.to);
    advanceFloor.run();
  });
  const requeueAll = db.transaction(() => {
    lowerFloorToDead.run();
    return deleteDead.run().changes;
  });
  const fail = db.transaction((ids: string[], message: string) => {
    for (const id of ids) markFailure.run(message.slice(0, MAX_ERROR_LENGTH), id);
  });

  const queue = {
    /**
     * Pending events after `afterSeq` (so the next batch can be read while one is in flight), as JSON texts. A batch
     * ends at a key rotation, so nothing signed by the next key travels with the rotation that names it.
     */
    readJson(limit: number, afterSeq = 0): OutboxJsonItem[] {
      const bounded = parseOrFail(z.number().int().min(1).max(10_000), limit, 'outbox limit');
      const after = parseOrFail(z.number().int().min(0), afterSeq, 'outbox position');
      const key = dataKey();
      // The events of one capture share one opening (same commitment): it is unsealed once per read, not per event.
      // An event whose own opening was erased still goes without one.
      const openings = new Map<string, string>();
      const openingOf = (id: string, body: string, sealed: Buffer): string | null => {
        const commitment = commitmentIn(body);
        const known = commitment === null ? undefined : openings.get(commitment);
        if (known !== undefined) return known;
        const json = unsealOpeningJson(key!, id, sealed);
        if (json !== null && commitment !== null) openings.set(commitment, json);
        return json;
      };
      return withStorageErrors(() => {
        const rows = pending.all(after, bounded) as OutboxRow[];
        const rotationAt = rows.findIndex((row) => row.rotation === 1);
        return (rotationAt < 0 ? rows : rows.slice(0, rotationAt + 1)).map(({ seq, id, body, sig, sealed, rotation }) => {
          const subject = key && sealed ? openingOf(id, body, sealed) : null;
          // the body is a canonical JSON object: the signature goes in before its closing brace
          const json = `{"event":${body.slice(0, -1)},"sig":${JSON.stringify(sig)}},"subject":${subject ?? 'null'}}`;
          return { id, seq, json, rotation: rotation === 1 };
        });
      });
    },
    /** The same events as objects, for readers that want them parsed. */
    read(limit: number, afterSeq = 0): OutboxItem[] {
      return queue.readJson(limit, afterSeq).map((item) => JSON.parse(item.json) as OutboxItem);
    },
    applyResults(input: unknown): void {
      const results = parseOrFail(SyncResults, input, 'sync results');
      withStorageErrors(() => apply.immediate(results));
    },
    noteFailure(ids: string[], message: string): void {
      const parsed = parseOrFail(z.array(z.uuid()), ids, 'event ids');
      withStorageErrors(() => fail.immediate(parsed, message));
    },
    /** The highest seq the central API has acknowledged, 0 before the first. */
    lastSyncedSeq(): number {
      return withStorageErrors(() => (lastSynced.get() as number | null) ?? 0);
    },
    /** The events the central API refused, with its reason: a technician exports or re-queues them. */
    deadLetters(limit: number): DeadLetter[] {
      return withStorageErrors(() => dead.all(limit) as DeadLetter[]);
    },
    /** Every dead letter back to pending (after the API's problem was fixed); returns how many. */
    requeueDead(): number {
      return withStorageErrors(() => requeueAll.immediate());
    },
    status(): Pick<KioskStatus, 'outbox' | 'oldestPendingAgeMs'> {
      return withStorageErrors(() => {
        const outbox = { pending: pendingCount.get() as number, synced: 0, dead: 0 };
        for (const row of settledCounts.all() as Array<{ state: 'synced' | 'dead'; n: number }>) outbox[row.state] = row.n;
        const at = Date.parse((oldest.get() as string | null | undefined) ?? '');
        return { outbox, oldestPendingAgeMs: Number.isNaN(at) ? null : Math.max(0, clock.now().getTime() - at) };
      });
    },
  };
  return queue;
}
