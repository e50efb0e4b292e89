import { KioskFailure } from '../../shared/contract/errors.ts';
import type { IngestResponse, IngestResult } from '../../shared/contract/sync.ts';
import type { EnrolledDevice } from '../store/device-registry.ts';
import type { EventStore } from '../store/event-store.ts';
import type { VerifiedEvent } from './verify-event.ts';
import { sharedVerifyPool, type VerifyPool } from './verify-pool.ts';

export interface IngestSummary {
  response: IngestResponse;
  counts: Record<IngestResult['status'], number>;
}

/**
 * One upload, from the raw request body to the per-event answer: a verify worker parses and checks it (a bad body
 * or envelope is refused whole, nothing stored), then the survivors are stored in one transaction.
 */
export async function ingestBatch(
  body: Uint8Array,
  device: EnrolledDevice,
  events: EventStore,
  now: () => Date,
  pool: VerifyPool = sharedVerifyPool(),
): Promise<IngestSummary> {
  const batch = await pool.check(device, body);
  if (!batch.ok) throw new KioskFailure(batch.error.code, batch.error.message, batch.error.details);

  const results: IngestResult[] = new Array(batch.checks.length);
  const verified: { index: number; item: VerifiedEvent }[] = [];
  batch.checks.forEach((check, index) => {
    if (check.ok) verified.push({ index, item: check.verified });
    else results[index] = check.rejected;
  });
  // In chain order, so events that merely arrived shuffled within a batch are not reported as gaps.
  verified.sort((a, b) => a.item.seq - b.item.seq);
  const stored = events.storeBatch(device.id, batch.clockOffsetMs, verified.map((entry) => entry.item));
  verified.forEach((entry, position) => {
    results[entry.index] = stored[position]!;
  });

  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const result of results) counts[result.status] += 1;
  return { response: { serverTime: now().toISOString(), results }, counts };
}
