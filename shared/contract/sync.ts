import { z } from 'zod';
import { ConsentEvent, SubjectOpening } from './consent-event.ts';
import { FunnelCount } from './funnel.ts';
import { E164, IsoTimestamp, PurposeCategory, Slug } from './primitives.ts';

/** The kiosk ↔ central consent API protocol (brief §5). Both sides parse with these schemas. */

export const MAX_BATCH_EVENTS = 500;

const Base64UrlKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a raw 32-byte Ed25519 public key in base64url');

export const EnrolmentRequest = z
  .object({
    token: z.string().min(16).max(128),
    deviceId: z.uuid(),
    keyId: z.string().regex(/^[0-9a-f]{32}$/),
    publicKey: Base64UrlKey,
    appVersion: z.string().min(1).max(32),
  })
  .strict();
export type EnrolmentRequest = z.infer<typeof EnrolmentRequest>;

export const EnrolmentResponse = z.object({
  deviceId: z.uuid(),
  credential: z.string().min(32).max(256),
  enrolledAt: IsoTimestamp,
});
export type EnrolmentResponse = z.infer<typeof EnrolmentResponse>;

export const IngestItem = z.object({ event: ConsentEvent, subject: SubjectOpening.nullable() }).strict();
export type IngestItem = z.infer<typeof IngestItem>;

export const IngestBatch = z
  .object({
    // server clock minus device clock, as the device last measured it (ms); lets the server order events from
    // devices whose clocks were wrong while offline.
    clockOffsetMs: z.number().int().min(-10 * 365 * 86_400_000).max(10 * 365 * 86_400_000),
    events: z.array(IngestItem).min(1).max(MAX_BATCH_EVENTS),
  })
  .strict();
export type IngestBatch = z.infer<typeof IngestBatch>;

export const IngestRejectReason = z.enum([
  'invalid_event',
  'wrong_device',
  'wrong_key',
  'bad_signature',
  'commitment_mismatch',
  'chain_conflict',
]);
export type IngestRejectReason = z.infer<typeof IngestRejectReason>;

export const IngestResult = z.discriminatedUnion('status', [
  z.object({
    id: z.string(),
    status: z.literal('accepted'),
    // events before this one are missing on the server: lost or removed on the device. Reported, never blocking.
    chainGap: z.object({ expectedSeq: z.number().int(), receivedSeq: z.number().int() }).optional(),
  }),
  z.object({ id: z.string(), status: z.literal('duplicate') }),
  z.object({ id: z.string(), status: z.literal('rejected'), reason: IngestRejectReason, message: z.string().max(300) }),
]);
export type IngestResult = z.infer<typeof IngestResult>;

export const IngestResponse = z.object({ serverTime: IsoTimestamp, results: z.array(IngestResult) });
export type IngestResponse = z.infer<typeof IngestResponse>;

export const Heartbeat = z
  .object({
    pending: z.number().int().min(0),
    dead: z.number().int().min(0),
    oldestPendingAgeMs: z.number().int().min(0).nullable(),
    lastSyncAt: IsoTimestamp.nullable(),
    appVersion: z.string().min(1).max(32),
    profileVersion: z.string().max(32).nullable(),
    funnel: z.array(FunnelCount).max(5000),
  })
  .strict();
export type Heartbeat = z.infer<typeof Heartbeat>;

/** GET /health: liveness, and the server's clock, which a kiosk measures its clock offset against before a sync. */
export const HealthResponse = z.object({ status: z.literal('ok'), serverTime: IsoTimestamp });
export type HealthResponse = z.infer<typeof HealthResponse>;

/** "May I send purpose P to number N?" — POSTed, so phone numbers never appear in URLs or access logs. */
export const ConsentCheckRequest = z.object({ phone: E164, purposeId: Slug }).strict();
export const ConsentCheckResponse = z.object({
  allowed: z.boolean(),
  state: z.enum(['opted_in', 'opted_out', 'unknown']),
  effectiveAt: IsoTimestamp.nullable(),
});
export type ConsentCheckResponse = z.infer<typeof ConsentCheckResponse>;

export const PurposeState = z.object({
  purposeId: Slug,
  category: PurposeCategory,
  state: z.enum(['opted_in', 'opted_out']),
  effectiveAt: IsoTimestamp,
  source: z.enum(['kiosk', 'whatsapp']),
  eventId: z.string().nullable(),
});
export type PurposeState = z.infer<typeof PurposeState>;

/** Everything recorded for one number, POSTed for the same reason as the consent check. */
export const SubjectStateRequest = z.object({ phone: E164 }).strict();

/** One recorded decision behind a subject's state: a kiosk consent event or a WhatsApp marketing preference. */
export const ConsentDecision = z.object({
  source: z.enum(['kiosk', 'whatsapp']),
  eventId: z.string().nullable(),
  // null for a WhatsApp preference: it applies to every marketing purpose.
  purposeId: Slug.nullable(),
  kind: z.enum(['opt_in', 'opt_out']),
  effectiveAt: IsoTimestamp,
});
export type ConsentDecision = z.infer<typeof ConsentDecision>;

export const SubjectStateResponse = z.object({ purposes: z.array(PurposeState), decisions: z.array(ConsentDecision) });
export type SubjectStateResponse = z.infer<typeof SubjectStateResponse>;
