import path from 'node:path';
import { z } from 'zod';
import { OfferRecord, RequestId, SessionId, type OfferOutcome } from '../../shared/contract/host-api.ts';
import { IsoTimestamp, Slug } from '../../shared/contract/primitives.ts';
import { isExportedConsent } from '../ledger/event-export.ts';
import type { LedgerReader } from '../ledger/ledger.ts';
import { readJsonFile, writeJsonAtomic } from '../sync/json-file.ts';

export const SESSION_RECORD_FILE = 'host-session.json';

/**
 * What survives a kiosk restart of the host's last session: no personal data, only which offer was open (and the
 * chain head when it opened, so the ledger can tell whether its consent was committed) and how the last one ended.
 */
export const SessionRecord = z
  .object({
    sessionId: SessionId,
    openOffer: z.object({ requestId: RequestId, flowId: Slug, headSeq: z.number().int().min(0), openedAt: IsoTimestamp }).strict().nullable(),
    lastOffer: OfferRecord.nullable(),
  })
  .strict();
export type SessionRecord = z.infer<typeof SessionRecord>;

export const sessionRecordPath = (dataDir: string) => path.join(dataDir, SESSION_RECORD_FILE);

export function readSessionRecord(file: string): SessionRecord | null {
  return readJsonFile(file, SessionRecord);
}

export function writeSessionRecord(file: string, record: SessionRecord): void {
  writeJsonAtomic(file, record);
}

/**
 * The end of an offer the kiosk was showing when it stopped. A capture is one transaction appending events after
 * the head the offer opened at, so the ledger says exactly whether the customer's consent was committed: then the
 * host learns `accepted` with those events, otherwise `failed` with `kioskRestarted` (nothing was recorded).
 */
export function outcomeOfInterruptedOffer(
  record: SessionRecord & { openOffer: NonNullable<SessionRecord['openOffer']> },
  ledger: Pick<LedgerReader, 'exportRecords'>,
): OfferOutcome {
  const { sessionId, openOffer } = record;
  // The chain also holds clock observations and key rotations (a sync may have run while the step was open): only
  // the offer's own opt-ins count.
  const committed = [...ledger.exportRecords({ personalData: false })].flatMap((item) =>
    item.record === 'event' &&
    isExportedConsent(item) &&
    item.event.seq > openOffer.headSeq &&
    item.event.kind === 'opt_in' &&
    item.event.flowId === openOffer.flowId
      ? [item.event]
      : [],
  );
  const first = committed[0];
  if (!first) {
    return {
      outcome: 'failed',
      sessionId,
      flowId: openOffer.flowId,
      errorCode: 'kioskRestarted',
      errorDescription: 'The kiosk restarted while the step was on screen; nothing was recorded.',
    };
  }
  return {
    outcome: 'accepted',
    sessionId,
    flowId: openOffer.flowId,
    locale: first.notice.locale,
    subjectSource: first.subject.source,
    consents: committed.map((event) => ({ purposeId: event.purpose.id, category: event.purpose.category, eventId: event.id, seq: event.seq })),
    committedAt: first.capturedAt,
  };
}
