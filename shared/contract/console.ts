import { z } from 'zod';
import { FunnelOutcome } from './funnel.ts';
import { ConsentKind, E164, IsoTimestamp, Locale, Placement, PurposeCategory, Slug, Text } from './primitives.ts';
import { PurposeState, TimeQuality } from './sync.ts';

/**
 * The console's own API (`/console/api/*`): what the operator and compliance console page and the API say to each
 * other. Cookie sessions, not bearer tokens; docs/console.md.
 */

/** An operator runs the fleet and reads the funnel (never a phone number); a compliance officer answers for subjects. */
export const ConsoleRole = z.enum(['operator', 'compliance']);
export type ConsoleRole = z.infer<typeof ConsoleRole>;

export const ConsoleUsername = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, "_", "-" or "."');

/** Long enough that a guess costs more than the lock-out allows; capped so hashing stays bounded. */
export const ConsolePassword = Text(12, 256);

export const LoginRequest = z.object({ username: ConsoleUsername, password: Text(1, 256) }).strict();
export type LoginRequest = z.infer<typeof LoginRequest>;

/** Who is signed in; `csrfToken` goes back in the `X-CSRF-Token` header of every request that changes something. */
export const ConsoleSession = z.object({ username: ConsoleUsername, role: ConsoleRole, csrfToken: z.string(), expiresAt: IsoTimestamp });
export type ConsoleSession = z.infer<typeof ConsoleSession>;

/** Why a device is flagged on the fleet page. */
export const DeviceFlag = z.enum(['revoked', 'never_reported', 'stale', 'dead_letters', 'backlog', 'chain_gap', 'clock_offset', 'profile_lagging', 'unapproved_notices']);
export type DeviceFlag = z.infer<typeof DeviceFlag>;

export const FleetDevice = z.object({
  deviceId: z.uuid(),
  placement: Placement.nullable(),
  enrolledAt: IsoTimestamp,
  revokedAt: IsoTimestamp.nullable(),
  lastHeartbeatAt: IsoTimestamp.nullable(),
  lastIngestAt: IsoTimestamp.nullable(),
  /** Outbox backlog as the kiosk last reported it. */
  pending: z.number().int().nullable(),
  oldestPendingAgeMs: z.number().int().nullable(),
  dead: z.number().int().nullable(),
  /** API time minus the kiosk's wall clock, from the latest valid clock observation (signed by the API, recorded by the kiosk). */
  clockOffsetMs: z.number().int().nullable(),
  clockObservedAt: IsoTimestamp.nullable(),
  appVersion: z.string(),
  profileVersion: z.string().nullable(),
  /** The signed profile the kiosk last said it has in force (revision and content hash); null before remote profiles. */
  profileInForce: z.object({ revision: z.number().int(), contentHash: z.string() }).nullable(),
  /** The newest profile published for it (its own or its site's); null when none. */
  profilePublished: z.object({ revision: z.number().int(), contentHash: z.string(), profileVersion: z.string() }).nullable(),
  /** Consent events from it whose sentence no published profile approves (docs/server.md, "Notice versions"). */
  unapprovedNotices: z.number().int(),
  chain: z.object({ contiguousSeq: z.number().int(), highestSeq: z.number().int(), persistentGaps: z.number().int() }),
  flags: z.array(DeviceFlag),
});
export type FleetDevice = z.infer<typeof FleetDevice>;

export const Fleet = z.object({ devices: z.array(FleetDevice), staleAfterMs: z.number().int(), generatedAt: IsoTimestamp });
export type Fleet = z.infer<typeof Fleet>;

/** One funnel counter summed over purposes and devices; `siteId` is the site where the device stands now. */
export const FunnelRow = z.object({ day: z.iso.date(), flowId: Slug, locale: Locale, siteId: z.string(), outcome: FunnelOutcome, count: z.number().int() });
export type FunnelRow = z.infer<typeof FunnelRow>;

export const FunnelQuery = z.object({ from: z.iso.date().optional(), to: z.iso.date().optional() }).strict();
export const Funnel = z.object({ rows: z.array(FunnelRow) });
export type Funnel = z.infer<typeof Funnel>;

/** How long an enrolment token stays usable when the operator does not say (7 days), and at most (90 days). */
export const DEFAULT_TOKEN_VALID_HOURS = 7 * 24;
export const MAX_TOKEN_VALID_HOURS = 90 * 24;

export const EnrolmentTokenTerms = z
  .object({
    businessIds: z.array(Slug).min(1).max(100).optional(),
    placement: Placement.optional(),
    validHours: z.number().int().min(1).max(MAX_TOKEN_VALID_HOURS).optional(),
  })
  .strict();
export type EnrolmentTokenTerms = z.infer<typeof EnrolmentTokenTerms>;
export const EnrolmentTokenIssued = z.object({ token: z.string(), createdAt: IsoTimestamp, expiresAt: IsoTimestamp });

/** Where a profile is published: every device of a site, or one device. */
export const ProfileTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('site'), id: Slug }).strict(),
  z.object({ kind: z.literal('device'), id: z.uuid('must be a device id (a UUID)') }).strict(),
]);
export type ProfileTarget = z.infer<typeof ProfileTarget>;

/** An operator publishes a signed profile (the file `kioskctl profile sign` wrote) for sites and devices. */
export const ProfilePublicationRequest = z
  .object({ targets: z.array(ProfileTarget).min(1).max(100), profile: z.unknown() })
  .strict();
export type ProfilePublicationRequest = z.infer<typeof ProfilePublicationRequest>;

export const PublishedProfile = z.object({
  id: z.number().int(),
  publishedAt: IsoTimestamp,
  publishedBy: z.string(),
  target: ProfileTarget,
  revision: z.number().int(),
  contentHash: z.string(),
  profileId: z.string(),
  profileVersion: z.string(),
  expiresAt: IsoTimestamp,
});
export type PublishedProfile = z.infer<typeof PublishedProfile>;
export const ProfilePublications = z.object({ publications: z.array(PublishedProfile) });

export const DeviceRevocation = z.object({ reason: Text(1, 200) }).strict();

/** A compliance officer's question is always about one number with one business. */
export const SubjectQuery = z.object({ businessId: Slug, phone: E164 }).strict();
export type SubjectQuery = z.infer<typeof SubjectQuery>;

export const ConsentTimelineEntry = z.object({
  type: z.literal('consent'),
  eventId: z.string(),
  kind: ConsentKind,
  /** The exact sentence the person saw (for an opt-out, the stop sentence). */
  sentence: z.string(),
  notice: z.object({ id: z.string(), version: z.string(), locale: Locale }),
  purpose: z.object({ id: z.string(), category: PurposeCategory }),
  flowId: z.string(),
  entryPoint: z.string(),
  device: z.object({ id: z.string(), keyId: z.string(), label: z.string().nullable(), siteId: z.string().nullable() }),
  capturedAt: z.string(),
  receivedAt: IsoTimestamp,
  effectiveAt: IsoTimestamp,
  quality: TimeQuality,
  earliest: IsoTimestamp,
  latest: IsoTimestamp,
  clockKnownGood: z.boolean(),
  /** Checked again now, against the device key valid for the event's seq. */
  signatureVerified: z.boolean(),
  /** No published profile approves the sentence shown: the event stands (it is signed proof of what was shown), flagged. */
  unapprovedNotice: z.boolean(),
});

export const WhatsAppTimelineEntry = z.object({
  type: z.literal('whatsapp'),
  value: z.enum(['stop', 'resume']),
  source: z.enum(['user_preferences', 'error_131050']),
  effectiveAt: IsoTimestamp,
  claimedAt: IsoTimestamp,
  receivedAt: IsoTimestamp,
  mappedAt: IsoTimestamp.nullable(),
  signatureVerified: z.boolean(),
  /** The webhook body exactly as received; null once erased. */
  rawPayload: z.string().nullable(),
});

export const TimelineEntry = z.discriminatedUnion('type', [ConsentTimelineEntry, WhatsAppTimelineEntry]);
export type TimelineEntry = z.infer<typeof TimelineEntry>;

export const SubjectTimeline = z.object({ businessId: Slug, phone: E164, entries: z.array(TimelineEntry), states: z.array(PurposeState) });
export type SubjectTimeline = z.infer<typeof SubjectTimeline>;

export const ErasureRequest = SubjectQuery.extend({ confirm: z.literal(true, 'confirm the erasure with confirm: true') }).strict();
export const ErasureResult = z.object({ openings: z.number().int(), whatsappChanges: z.number().int(), deliveries: z.number().int(), userIds: z.number().int() });
export type ErasureResult = z.infer<typeof ErasureResult>;

/** One line of the console's append-only audit log. `target` never holds a full phone number. */
export const ConsoleAuditEntry = z.object({
  id: z.number().int(),
  at: IsoTimestamp,
  username: z.string().nullable(),
  role: ConsoleRole.nullable(),
  action: z.string(),
  target: z.string().nullable(),
  status: z.number().int(),
});
export type ConsoleAuditEntry = z.infer<typeof ConsoleAuditEntry>;
export const ConsoleAuditLog = z.object({ entries: z.array(ConsoleAuditEntry) });
