import { z } from 'zod';
import { ApiKeys, SignedApiStatement } from './api-statement.ts';
import { ChainEvent } from './chain-event.ts';
import { SubjectOpening } from './consent-event.ts';
import { FunnelCount } from './funnel.ts';
import { E164, IsoTimestamp, KeyId, Placement, PurposeCategory, RawPublicKey, Sha256Hex, Slug, Text } from './primitives.ts';

/** The kiosk ↔ central consent API protocol (brief §5). Both sides parse with these schemas. */

export const MAX_BATCH_EVENTS = 500;

export const EnrolmentRequest = z
  .object({
    token: z.string().min(16).max(128),
    deviceId: z.uuid(),
    keyId: KeyId,
    publicKey: RawPublicKey,
    appVersion: Text(1, 32),
    /** Where the terminal stands, from its profile; the registry keeps it (an admin-issued token may pin it). */
    placement: Placement.optional(),
  })
  .strict();
export type EnrolmentRequest = z.infer<typeof EnrolmentRequest>;

export const EnrolmentResponse = z.object({
  deviceId: z.uuid(),
  credential: z.string().min(32).max(256),
  enrolledAt: IsoTimestamp,
  /** The keys the API signs its statements with: the kiosk pins them and checks every statement it records. */
  apiKeys: ApiKeys.shape.keys,
});
export type EnrolmentResponse = z.infer<typeof EnrolmentResponse>;

/** One chain event as uploaded: consents carry their subject opening until retention erases it, the others null. */
export const IngestItem = z.object({ event: ChainEvent, subject: SubjectOpening.nullable() }).strict();
export type IngestItem = z.infer<typeof IngestItem>;

export const IngestBatch = z
  .object({
    /**
     * Sent by kiosks before the trust model; accepted and ignored: the API corrects time only by the clock
     * observations signed into the chain (docs/server.md, "Effective time").
     */
    clockOffsetMs: z.number().int().optional(),
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
  // the consent names a business the API does not know, or one this device was not enrolled to collect for
  'unknown_business',
  'business_not_allowed',
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

/** `statement`: signed after the commit, naming the contiguous head the API now holds for the device. */
export const IngestResponse = z.object({ serverTime: IsoTimestamp, results: z.array(IngestResult), statement: SignedApiStatement });
export type IngestResponse = z.infer<typeof IngestResponse>;

/**
 * Which signed profile a terminal has in force: its revision and the SHA-256 (hex) of the RFC 8785 canonical JSON of
 * its `signed` statement. The API compares it with what it published for the device; it proves nothing by itself.
 */
export const ProfileVersion = z.object({ revision: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), contentHash: Sha256Hex }).strict();
export type ProfileVersion = z.infer<typeof ProfileVersion>;

export const Heartbeat = z
  .object({
    pending: z.number().int().min(0),
    dead: z.number().int().min(0),
    oldestPendingAgeMs: z.number().int().min(0).nullable(),
    lastSyncAt: IsoTimestamp.nullable(),
    appVersion: Text(1, 32),
    profileVersion: Text(0, 32).nullable(),
    /** The signed profile in force on the screen (kiosks before remote profiles send none). */
    profile: ProfileVersion.optional(),
    placement: Placement.optional(),
    funnel: z.array(FunnelCount).max(5000),
  })
  .strict();
export type Heartbeat = z.infer<typeof Heartbeat>;

/**
 * The API's answer to a heartbeat: its time and, when one was published for this device with a higher revision than
 * the one in force, that signed profile (`SignedProfile`). Left unparsed here on purpose: the kiosk's profile guard
 * checks it whole against the pinned key, so whatever the API sends is refused with the guard's one sentence.
 */
export const HeartbeatAnswer = z.object({ serverTime: IsoTimestamp, profile: z.unknown().optional() });
export type HeartbeatAnswer = z.infer<typeof HeartbeatAnswer>;

/** GET /health: liveness, and the server's clock, which a kiosk measures its clock offset against before a sync. */
export const HealthResponse = z.object({ status: z.literal('ok'), serverTime: IsoTimestamp });
export type HealthResponse = z.infer<typeof HealthResponse>;

/**
 * How far an effective time can be trusted (docs/server.md, "Effective time"):
 * - `bounded`: corrected by a clock observation of the same boot (monotonic clock), inside the bounds the API knows
 *   for itself; for a WhatsApp change, Meta's time, no later than its arrival.
 * - `unbounded`: no observation of the same boot brackets it (a reboot while offline, a kiosk before the trust
 *   model): the device's wall clock, kept inside the API's bounds.
 * - `clamped`: the device's own time fell outside those bounds (a clock years off, a capture "after" its upload) and
 *   was moved to the nearest bound.
 * In a conflict an opt-in whose time is not `bounded` counts as early as it could have been, an opt-out as late.
 */
export const TimeQuality = z.enum(['bounded', 'unbounded', 'clamped']);
export type TimeQuality = z.infer<typeof TimeQuality>;

/** Consent is given to one business: every state and check names it (the profile's business id). */
const Scope = { businessId: Slug, phone: E164 };

/**
 * "As of T": `knownThen` is what the API could have answered at T (only what it had received by then);
 * `trueThen` what it knows now about T (everything received since, effective by T). For an audit of a past send.
 */
const AsOf = { asOf: IsoTimestamp.optional() };

/** "May I send purpose P to number N?" — POSTed, so phone numbers never appear in URLs or access logs. */
export const ConsentCheckRequest = z.object({ ...Scope, purposeId: Slug, ...AsOf }).strict();
export type ConsentCheckRequest = z.infer<typeof ConsentCheckRequest>;

const CheckAnswer = z.object({
  allowed: z.boolean(),
  state: z.enum(['opted_in', 'opted_out', 'unknown']),
  effectiveAt: IsoTimestamp.nullable(),
  timeQuality: TimeQuality.nullable(),
});

export const ConsentCheckResponse = CheckAnswer.extend({
  businessId: Slug,
  /** Present when the request asked as of a time; the top-level answer is then `trueThen`'s. */
  asOf: z.object({ at: IsoTimestamp, knownThen: CheckAnswer, trueThen: CheckAnswer }).optional(),
});
export type ConsentCheckResponse = z.infer<typeof ConsentCheckResponse>;

/** How many numbers one batch check may ask about: a campaign checks its list a thousand at a time. */
export const MAX_CHECK_BATCH = 1000;

/**
 * "May I send to each of these numbers?" for a campaign: one business, and one purpose for every item (`purposeId`)
 * or one per item (an item's own wins). Answers now, never as of a time (that is an audit, asked number by number).
 */
export const ConsentCheckBatchRequest = z
  .object({
    businessId: Slug,
    purposeId: Slug.optional(),
    items: z.array(z.object({ phone: E164, purposeId: Slug.optional() }).strict()).min(1).max(MAX_CHECK_BATCH),
  })
  .strict()
  .superRefine((request, context) => {
    request.items.forEach((item, index) => {
      if (item.purposeId === undefined && request.purposeId === undefined) {
        context.addIssue({ code: 'custom', path: ['items', index, 'purposeId'], message: 'a purpose is needed: give purposeId for the batch or for the item' });
      }
    });
  });
export type ConsentCheckBatchRequest = z.infer<typeof ConsentCheckBatchRequest>;

/** One answer per item, in the order asked, each naming the number and purpose it answers for. */
export const ConsentCheckBatchResponse = z.object({
  businessId: Slug,
  results: z.array(CheckAnswer.extend({ phone: E164, purposeId: Slug })),
});
export type ConsentCheckBatchResponse = z.infer<typeof ConsentCheckBatchResponse>;

export const PurposeState = z.object({
  purposeId: Slug,
  category: PurposeCategory,
  state: z.enum(['opted_in', 'opted_out']),
  effectiveAt: IsoTimestamp,
  timeQuality: TimeQuality,
  source: z.enum(['kiosk', 'whatsapp']),
  eventId: z.string().nullable(),
});
export type PurposeState = z.infer<typeof PurposeState>;

/** Everything recorded for one number with one business, POSTed for the same reason as the consent check. */
export const SubjectStateRequest = z.object({ ...Scope, ...AsOf }).strict();
export type SubjectStateRequest = z.infer<typeof SubjectStateRequest>;

/** One recorded decision behind a subject's state: a kiosk consent event or a WhatsApp marketing preference. */
export const ConsentDecision = z.object({
  source: z.enum(['kiosk', 'whatsapp']),
  eventId: z.string().nullable(),
  // null for a WhatsApp preference: it applies to every marketing purpose.
  purposeId: Slug.nullable(),
  kind: z.enum(['opt_in', 'opt_out']),
  effectiveAt: IsoTimestamp,
  timeQuality: TimeQuality,
  receivedAt: IsoTimestamp,
});
export type ConsentDecision = z.infer<typeof ConsentDecision>;

export const SubjectStateResponse = z.object({
  businessId: Slug,
  purposes: z.array(PurposeState),
  decisions: z.array(ConsentDecision),
});
export type SubjectStateResponse = z.infer<typeof SubjectStateResponse>;

/** GET /v1/devices/{id}/keys: every key a device has signed with and the seqs it was valid for, for auditors. */
export const DeviceKeys = z.object({
  deviceId: z.uuid(),
  placement: Placement.nullable(),
  revokedAt: IsoTimestamp.nullable(),
  keys: z.array(
    z.object({
      keyId: KeyId,
      publicKey: RawPublicKey,
      fromSeq: z.number().int().min(1),
      /** null while the key is in use. */
      toSeq: z.number().int().min(0).nullable(),
      addedAt: IsoTimestamp,
      addedBy: z.enum(['enrolment', 'rotation', 'admin']),
    }),
  ),
});
export type DeviceKeys = z.infer<typeof DeviceKeys>;
