import type { SignedApiStatement } from '../../shared/contract/api-statement.ts';
import type { IngestResult } from '../../shared/contract/sync.ts';
import type { OutboxJsonItem } from '../ledger/outbox.ts';
import { ApiFailure, type ApiClient } from './api-client.ts';
import type { StatementCheck } from './api-statements.ts';
import type { SyncLedger } from './sync-ledger.ts';

/**
 * Batches in flight at once once the API has answered one in this drain. The API checks each batch whole on one of
 * its verify threads (one per core): with three in flight, a thread that finishes a batch finds the next one already
 * queued while the kiosk applies the oldest answer and reads ahead, so no thread waits on the round trip. More would
 * only queue on the API.
 */
export const PIPELINE_DEPTH = 3;

/** What a drain learnt: how far the API acknowledged the chain, and its best verified statement about it. */
export type DrainReport = { acknowledgedUpTo: number; statement: SignedApiStatement | null };

type Answer = { results: IngestResult[]; statement: SignedApiStatement };
type Batch = { items: OutboxJsonItem[]; answer: Promise<Answer> };

export type DrainPipelineDeps = {
  ledger: SyncLedger;
  client: ApiClient;
  batchSize: number;
  log: (line: string) => void;
  /** Registers a request's controller for `stop()` to abort; returns its release. */
  track: (controller: AbortController) => () => void;
  stopping: () => boolean;
  /** A batch is about to leave / the API answered one. */
  onSent: () => void;
  onAnswered: () => void;
  checkStatement: (statement: SignedApiStatement) => StatementCheck;
};

/**
 * Sends the outbox in sequence order, each batch read after the last one sent. The first batch of a drain goes
 * alone, so an API that is down, refusing the credential or asking for room sees one request, not a burst; once it
 * has answered, up to PIPELINE_DEPTH batches are in flight, and while they travel and the API verifies them the kiosk
 * applies the oldest batch's answer and reads the next batch. Answers are applied in the order the batches were
 * sent, and every answer the API gave is applied whatever ends the loop (a failed batch stays pending; the API
 * deduplicates whatever of it comes again). A batch ending at a key rotation is the last in flight until its answer
 * has been applied: nothing signed by the next key leaves before the API has accepted the rotation naming it.
 */
export function createDrainPipeline(deps: DrainPipelineDeps) {
  const { ledger, client, log } = deps;

  async function sendBatch(bearer: string, items: OutboxJsonItem[]): Promise<Answer> {
    const controller = new AbortController();
    const release = deps.track(controller);
    deps.onSent();
    let response;
    try {
      response = await client.ingest(bearer, { eventsJson: items.map((item) => item.json) }, controller.signal);
    } finally {
      release();
    }
    const sent = new Set(items.map((item) => item.id));
    const results = response.results.filter((result) => sent.has(result.id));
    if (results.length === 0) throw new ApiFailure('invalid_response', 'the API acknowledged none of the batch');
    return { results, statement: response.statement };
  }

  return async function sendOutbox(bearer: string, onBatches: (ids: string[]) => void): Promise<DrainReport> {
    const report: DrainReport = { acknowledgedUpTo: 0, statement: null };
    let unverified = 0;
    const sent: Batch[] = [];
    const noteInFlight = () => onBatches(sent.flatMap((batch) => batch.items.map((item) => item.id)));
    const awaitingRotation = () => sent.at(-1)?.items.at(-1)?.rotation === true;
    const apply = (items: OutboxJsonItem[], answer: Answer) => {
      applyAnswer(ledger, log, items, answer.results, report);
      const check = deps.checkStatement(answer.statement);
      if (!check.ok) unverified += 1;
      else if ((answer.statement.statement.head?.seq ?? 0) >= (report.statement?.statement.head?.seq ?? 0)) report.statement = answer.statement;
      if (!check.ok && unverified === 1) log(`an ingest answer's statement was not kept: ${check.reason}`);
    };

    let next = ledger.readOutboxJson(deps.batchSize);
    let unapplied: { items: OutboxJsonItem[]; answer: Answer } | null = null;
    let depth = 1;
    try {
      for (;;) {
        while (!deps.stopping() && sent.length < depth && next.length > 0 && !awaitingRotation()) {
          const items = next;
          const answer = sendBatch(bearer, items);
          // a failure is handled when this batch's turn comes; until then it must not count as unhandled
          answer.catch(() => undefined);
          sent.push({ items, answer });
          noteInFlight();
          // better-sqlite3 blocks the event loop: let the request reach the wire before the local work
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (unapplied) apply(unapplied.items, unapplied.answer);
          unapplied = null;
          next = ledger.readOutboxJson(deps.batchSize, items.at(-1)!.seq);
        }
        const oldest = sent.shift();
        if (!oldest) break;
        if (unapplied) apply(unapplied.items, unapplied.answer);
        unapplied = null;
        const answer = await oldest.answer;
        unapplied = { items: oldest.items, answer };
        noteInFlight();
        depth = PIPELINE_DEPTH;
        deps.onAnswered();
        const partial = answer.results.length < oldest.items.length;
        if (partial || oldest.items.at(-1)!.rotation) {
          // a rotation's answer is applied before anything signed by the next key goes; a partly acknowledged
          // batch settles everything in flight, then the outbox is re-read so the unacknowledged events go first
          apply(unapplied.items, unapplied.answer);
          unapplied = null;
          if (partial) {
            await settle(sent.splice(0), apply, log);
            next = ledger.readOutboxJson(deps.batchSize);
          }
        }
      }
    } finally {
      if (unapplied) apply(unapplied.items, unapplied.answer);
      await settle(sent.splice(0), apply, log);
    }
    return report;
  };
}

/** Waits for batches still in flight after another ended the loop, applying the answers that came. */
async function settle(batches: Batch[], apply: (items: OutboxJsonItem[], answer: Answer) => void, log: (line: string) => void): Promise<void> {
  for (const batch of batches) {
    const answer = await batch.answer.catch(() => null);
    if (!answer) continue;
    try {
      apply(batch.items, answer);
    } catch (error) {
      log(`while settling: ${(error as Error).message}`);
    }
  }
}

/**
 * Records one answer in the ledger: accepted and duplicate → synced, rejected → dead letters with the reason. A
 * refused key rotation is the exception: it stays pending (noted), and the drain stops with the reason, since
 * everything after it is signed by a key the API does not know; it is sent again on the next attempt.
 */
function applyAnswer(ledger: SyncLedger, log: (line: string) => void, items: OutboxJsonItem[], results: IngestResult[], report: DrainReport): void {
  const rotation = items.at(-1)?.rotation ? items.at(-1) : undefined;
  const refused = rotation ? results.find((result) => result.id === rotation.id && result.status === 'rejected') : undefined;
  const kept = refused ? results.filter((result) => result !== refused) : results;
  ledger.applySyncResults(
    kept.map((result) =>
      result.status === 'rejected'
        ? { id: result.id, status: result.status, reason: `${result.reason}: ${result.message}` }
        : { id: result.id, status: result.status },
    ),
  );
  const seqOf = new Map(items.map((item) => [item.id, item.seq]));
  for (const result of kept) {
    if (result.status === 'rejected') log(`event ${result.id} rejected (${result.reason}): moved to dead letters`);
    else report.acknowledgedUpTo = Math.max(report.acknowledgedUpTo, seqOf.get(result.id) ?? 0);
  }
  if (refused?.status === 'rejected' && rotation) {
    const message = `the API refused the key rotation at seq ${rotation.seq} (${refused.reason}: ${refused.message}); nothing signed by the new key is sent until it accepts it`;
    ledger.noteSyncFailure([rotation.id], message.slice(0, 500));
    throw new ApiFailure('refused', message);
  }
}
