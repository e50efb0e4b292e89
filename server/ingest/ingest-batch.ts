import { z } from 'zod';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { IngestBatch, MAX_BATCH_EVENTS, type IngestItem, type IngestResponse, type IngestResult } from '../../shared/contract/sync.ts';
import type { EnrolledDevice } from '../store/device-registry.ts';
import type { EventStore } from '../store/event-store.ts';
import type { VerifiedEvent } from './verify-event.ts';
import { sharedVerifyPool, type VerifyPool } from './verify-pool.ts';

/** The batch with its events left unparsed: each event is judged on its own so one bad event cannot sink the rest. */
const IngestEnvelope = IngestBatch.extend({ events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS) });

export interface IngestSummary {
  response: IngestResponse;
  counts: Record<IngestResult['status'], number>;
}

export async function ingestBatch(
  input: unknown,
  device: EnrolledDevice,
  events: EventStore,
  now: () => Date,
  pool: VerifyPool = sharedVerifyPool(),
): Promise<IngestSummary> {
  const batch = parseOrFail(IngestEnvelope, input, 'ingest batch');
  const checks = await pool.check(device, batch.events);

  const results: IngestResult[] = new Array(checks.length);
  const verified: { index: number; item: VerifiedEvent }[] = [];
  checks.forEach((check, index) => {
    if (!check.ok) {
      results[index] = check.rejected;
      return;
    }
    // The worker parsed this item with IngestItem: strict objects and no transforms, so the item as received is
    // exactly the parsed value.
    const { event, subject } = batch.events[index] as IngestItem;
    verified.push({ index, item: { event, opening: subject, body: check.body, hash: check.hash } });
  });
  // In chain order, so events that merely arrived shuffled within a batch are not reported as gaps.
  verified.sort((a, b) => a.item.event.seq - b.item.event.seq);
  const stored = events.storeBatch(device.id, batch.clockOffsetMs, verified.map((entry) => entry.item));
  verified.forEach((entry, position) => {
    results[entry.index] = stored[position]!;
  });

  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const result of results) counts[result.status] += 1;
  return { response: { serverTime: now().toISOString(), results }, counts };
}
