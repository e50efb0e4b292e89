import { KioskFailure } from '../../shared/contract/errors.ts';
import type { Business } from '../../shared/contract/profile.ts';
import type { IngestResponse, IngestResult } from '../../shared/contract/sync.ts';
import type { StatementKey } from '../keys/statement-key.ts';
import { forVerification, type DeviceRecord } from '../store/device-registry.ts';
import { DeviceChanged, type StoredBatch } from '../store/event-store.ts';
import type { IngestWriter } from './ingest-writer.ts';
import { ApiFailure } from '../http/api-failure.ts';
import type { VerifiedEvent } from './verify-event.ts';
import type { VerifyPool } from './verify-pool.ts';

export interface IngestSummary {
  response: IngestResponse;
  counts: Record<IngestResult['status'], number>;
  stored: StoredBatch;
  /** The consents stored by this batch and the hash of the sentence each one shows, for the notice check. */
  consentNotices: { eventId: string; textHash: string }[];
}

/**
 * One upload, from the raw request body to the per-event answer: a verify worker parses and checks it (a bad body
 * or envelope is refused whole, nothing stored), then the survivors are stored in one transaction on the ingest
 * writer's thread, and the answer carries the API's statement of the head it now holds, signed after the commit. A device whose keys or businesses
 * changed between the check and the storage (a rotation or re-enrolment another request — or another instance —
 * stored meanwhile) gets 503: nothing was stored, and the batch is checked afresh when the kiosk sends it again.
 */
export async function ingestBatch(
  body: Uint8Array,
  device: DeviceRecord,
  writer: Pick<IngestWriter, 'storeBatch'>,
  statements: StatementKey,
  businesses: readonly Business[],
  now: () => Date,
  pool: Pick<VerifyPool, 'check'>,
): Promise<IngestSummary> {
  const batch = await pool.check(forVerification(device), businesses, body);
  if (!batch.ok) throw new KioskFailure(batch.error.code, batch.error.message, batch.error.details);

  const results: IngestResult[] = new Array(batch.checks.length);
  const verified: { index: number; item: VerifiedEvent }[] = [];
  batch.checks.forEach((check, index) => {
    if (check.ok) verified.push({ index, item: check.verified });
    else results[index] = check.rejected;
  });
  // In chain order, so events that merely arrived shuffled within a batch are not reported as gaps.
  verified.sort((a, b) => a.item.seq - b.item.seq);
  let stored: StoredBatch;
  try {
    stored = await writer.storeBatch(device, verified.map((entry) => entry.item), now());
  } catch (error) {
    if (!(error instanceof DeviceChanged)) throw error;
    throw new ApiFailure('storage_unavailable', "The device's keys or businesses changed while this batch was checked; nothing was stored. Send it again.");
  }
  const consentNotices: IngestSummary['consentNotices'] = [];
  verified.forEach((entry, position) => {
    const result = stored.results[position]!;
    results[entry.index] = result;
    // A duplicate too: its first sending may have been stored and never answered (the API stopped before the notice
    // check), and flagging is idempotent, so a batch is answered only once its notices have been checked.
    if (result.status !== 'rejected' && entry.item.consent) consentNotices.push({ eventId: entry.item.id, textHash: entry.item.consent.noticeTextHash });
  });

  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const result of results) counts[result.status] += 1;
  const statement = statements.headStatement({ deviceId: device.id, head: stored.contiguous });
  return { response: { serverTime: now().toISOString(), results, statement }, counts, stored, consentNotices };
}
