import { z } from 'zod';
import { KioskFailure, parseOrFail, type KioskError } from '../../shared/contract/errors.ts';
import type { Business } from '../../shared/contract/profile.ts';
import { IngestBatch, MAX_BATCH_EVENTS } from '../../shared/contract/sync.ts';
import { checkEvents, type EnrolledDevice, type EventCheck } from './verify-event.ts';

/** The batch with its events left unparsed: each event is judged on its own so one bad event cannot sink the rest. */
const IngestEnvelope = IngestBatch.extend({ events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS) });

/** A whole upload judged: a bad body or envelope refuses the batch (nothing stored), otherwise one check per event. */
export type BatchCheck = { ok: true; checks: EventCheck[] } | { ok: false; error: KioskError };

/**
 * The request body as received (UTF-8 JSON) → envelope → each event, against the device and the registered businesses. Synchronous: a verify worker thread runs it,
 * so the HTTP thread neither parses nor re-serialises the batch. A `clockOffsetMs` sent by an older kiosk is
 * parsed and ignored: time comes from the clock observations in the chain (docs/server.md, "Effective time").
 */
export function checkBatch(body: Uint8Array, device: EnrolledDevice, businesses: readonly Business[]): BatchCheck {
  let input: unknown;
  try {
    input = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return { ok: false, error: { code: 'invalid_request', message: 'The request body is not valid JSON.' } };
  }
  try {
    const batch = parseOrFail(IngestEnvelope, input, 'ingest batch');
    return { ok: true, checks: checkEvents(batch.events, device, businesses) };
  } catch (error) {
    if (error instanceof KioskFailure) return { ok: false, error: error.toJSON() };
    throw error;
  }
}
