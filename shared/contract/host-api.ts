import { z } from 'zod';
import { EntryPoint } from './consent-event.ts';
import { E164, IsoTimestamp, Locale, PurposeCategory, Slug, SubjectSource, Text } from './primitives.ts';

/**
 * The Host Integration API: what the bank's ATM application or the airline's CUSS check-in application says to
 * the kiosk, and what it hears back. JSON messages over a WebSocket on loopback, in the shape XFS4IoT engineers
 * know: a header `{name, requestId, type, version}` and a payload. Every command is acknowledged at once and
 * completed exactly once; events carry the command's requestId; unsolicited events carry none. docs/host-integration.md
 * explains the protocol; docs/host-api.asyncapi.json is generated from these schemas.
 */
export const HOST_API_VERSION = '1.0';
export const HOST_API_PATH = '/host-api/v1';
/** A message larger than this is answered with an `invalidMessage` acknowledge; far larger ones close the socket. */
export const MAX_MESSAGE_BYTES = 16 * 1024;

/** Chosen by the host, unique among its commands in flight (as XFS4IoT's requestId). */
export const RequestId = z.number().int().min(1).max(2_147_483_647);
export const SessionId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be a session id the kiosk issued');
const Description = Text(0, 500);

export const MessageType = z.enum(['command', 'acknowledge', 'event', 'completion', 'unsolicited']);

/** Why a command was not accepted for execution; it then gets no completion (XFS4IoT acknowledge status). */
export const AcknowledgeStatus = z.enum(['invalidMessage', 'invalidRequestID', 'tooManyRequests']);

/** XFS4IoT's completion codes, the subset this API uses. */
export const CompletionCode = z.enum([
  'success',
  'commandErrorCode',
  'canceled',
  'timeOut',
  'invalidData',
  'sequenceError',
  'unsupportedCommand',
  'internalError',
]);
export type CompletionCode = z.infer<typeof CompletionCode>;

/** What keeps the kiosk from recording a consent right now. */
export const DegradedReason = z.enum(['ledgerFull', 'ledgerUnavailable', 'noKey', 'noProfile', 'displayUnavailable']);
export type DegradedReason = z.infer<typeof DegradedReason>;

/** `transfer`: the host hands the screen to the kiosk (CUSS 2 application transfer); `overlay`: the step is drawn over the host's screen. */
export const DisplayModel = z.enum(['transfer', 'overlay']);
export type DisplayModel = z.infer<typeof DisplayModel>;

// ---------------------------------------------------------------------------------------------------------- headers

const commandHeader = <N extends string>(name: N) =>
  z
    .object({
      name: z.literal(name),
      requestId: RequestId,
      type: z.literal('command'),
      version: z.literal(HOST_API_VERSION).optional(),
      /** Milliseconds the command may take; for OptIn.Offer the deadline of the whole step. 0 or absent: none. */
      timeout: z.number().int().min(0).max(3_600_000).optional(),
    })
    .strict();

/** Any command's header, before its name is known to be one of ours. */
export const AnyCommandHeader = commandHeader('').extend({ name: Text(1, 64) });

export const AcknowledgeHeader = z
  .object({
    name: Text(0, 64),
    /** null when the message was too broken to read one. */
    requestId: RequestId.nullable(),
    type: z.literal('acknowledge'),
    version: z.literal(HOST_API_VERSION),
    /** Absent: accepted, a completion follows. Present: refused, nothing follows. */
    status: AcknowledgeStatus.optional(),
    errorDescription: Description.optional(),
  })
  .strict();

const completionHeader = <N extends string>(name: N) =>
  z
    .object({
      name: z.literal(name),
      requestId: RequestId,
      type: z.literal('completion'),
      version: z.literal(HOST_API_VERSION),
      completionCode: CompletionCode,
      errorDescription: Description.optional(),
    })
    .strict();

const eventHeader = <N extends string>(name: N) =>
  z.object({ name: z.literal(name), requestId: RequestId, type: z.literal('event'), version: z.literal(HOST_API_VERSION) }).strict();

const unsolicitedHeader = <N extends string>(name: N) =>
  z.object({ name: z.literal(name), requestId: z.null(), type: z.literal('unsolicited'), version: z.literal(HOST_API_VERSION) }).strict();

const Empty = z.object({}).strict();

function message<H extends z.ZodType, P extends z.ZodType>(header: H, payload: P) {
  return z.object({ header, payload }).strict();
}

// --------------------------------------------------------------------------------------------------------- payloads

export const BeginSessionPayload = z
  .object({
    /** Where in the host's flow the step is inserted; signed into each consent event. Default: the flow's own. */
    entryPoint: EntryPoint.optional(),
    /** The customer's language in the host's flow; the step opens in it. Default: the profile's. */
    locale: Locale.optional(),
    /** The number the host has verified (card + PIN, a loyalty account); shown to the customer only masked. */
    verifiedSubject: z.object({ phone: E164 }).strict().optional(),
    /** The host's opaque reference to this customer, kept encrypted with each consent of the session. */
    customerReference: Text(1, 128).optional(),
  })
  .strict();
export type BeginSessionPayload = z.infer<typeof BeginSessionPayload>;

export const OfferPayload = z
  .object({
    flowId: Slug,
    /** The purposes to offer, a subset of the flow's; default: all of them. */
    purposeIds: z.array(Slug).min(1).max(20).optional(),
  })
  .strict();
export type OfferPayload = z.infer<typeof OfferPayload>;

export const CancelPayload = z.object({ requestIds: z.array(RequestId).min(1).max(16).optional() }).strict();
export const QuerySessionPayload = z.object({ sessionId: SessionId }).strict();

/**
 * The terminal's headphone jack as its platform reports it: XFS4IoT's Auxiliaries status `enhancedAudioSensor`
 * (`present`: a headset is connected, `notPresent`: none), which the platform announces in its own
 * Common.StatusChangedEvent. The host forwards each change; `present` starts private listening in the step's
 * language and offers the screen blank, `notPresent` stops the speech and shows the screen again (docs/ui.md).
 * Needs no session: a customer may plug in before the card goes in.
 */
export const HeadphonesPayload = z.object({ headphones: z.enum(['present', 'notPresent']) }).strict();
export type HeadphonesPayload = z.infer<typeof HeadphonesPayload>;

export const RecordedConsent = z.object({ purposeId: Slug, category: PurposeCategory, eventId: z.uuid(), seq: z.number().int().min(1) }).strict();

/**
 * What the customer agreed to, for the host's receipt printer, in the customer's language: the business, the
 * purposes, the number masked (never the number itself: the host may print it where others can read it), when it
 * was recorded, the agreed sentences themselves (naming the number masked), and how to stop: the business's STOP
 * keyword and its other ways out, as the kiosk's own receipt shows them.
 */
export const CustomerReceipt = z
  .object({
    business: Text(1, 100),
    purposes: z.array(z.object({ purposeId: Slug, label: Text(1, 200) }).strict()).min(1).max(20),
    maskedNumber: Text(1, 40),
    recordedAt: IsoTimestamp,
    sentences: z.array(Text(1, 2000)).min(1).max(20),
    howToStop: Text(1, 500),
  })
  .strict();
export type CustomerReceipt = z.infer<typeof CustomerReceipt>;

export const OfferErrorCode = z.enum([
  'ledgerFull',
  'ledgerUnavailable',
  'ledgerCorrupt',
  'noKey',
  'noProfile',
  'displayUnavailable',
  'notRecorded',
  'kioskRestarted',
  'invalidData',
  'sequenceError',
  'internalError',
]);
export type OfferErrorCode = z.infer<typeof OfferErrorCode>;

/**
 * How one offer ended: exactly one of these per OptIn.Offer. `accepted` lists the consent events exactly as the
 * ledger recorded them (the ids `kioskctl export` shows); every other outcome recorded nothing personal.
 */
export const OfferOutcome = z.discriminatedUnion('outcome', [
  z
    .object({
      outcome: z.literal('accepted'),
      sessionId: SessionId,
      flowId: Slug,
      locale: Locale,
      subjectSource: SubjectSource,
      consents: z.array(RecordedConsent).min(1).max(20),
      /**
       * The purposes whose sentence the customer saw and explicitly left unaccepted (marketing declined while
       * service messages were accepted, say): recorded as anonymous decline counts, never as consent events.
       * Added in the third edition (additive): absent when nothing was declined.
       */
      declined: z.array(z.object({ purposeId: Slug, category: PurposeCategory }).strict()).min(1).max(20).optional(),
      committedAt: IsoTimestamp,
      /** Added in the second edition of this API (additive): absent when read back after a kiosk restart. */
      receipt: CustomerReceipt.optional(),
    })
    .strict(),
  z.object({ outcome: z.literal('declined'), sessionId: SessionId, flowId: Slug, locale: Locale }).strict(),
  z.object({ outcome: z.literal('timed_out'), sessionId: SessionId, flowId: Slug, by: z.enum(['customerIdle', 'deadline']) }).strict(),
  z
    .object({ outcome: z.literal('cancelled'), sessionId: SessionId, flowId: Slug, by: z.enum(['host', 'hostDisconnected', 'sessionEnded']) })
    .strict(),
  z
    .object({
      outcome: z.literal('failed'),
      sessionId: SessionId.nullable(),
      flowId: Slug.nullable(),
      errorCode: OfferErrorCode,
      errorDescription: Description,
    })
    .strict(),
]);
export type OfferOutcome = z.infer<typeof OfferOutcome>;

/** The last offer of a session, kept for the host to read back after a reconnect or a kiosk restart. */
export const OfferRecord = z.object({ requestId: RequestId, result: OfferOutcome }).strict();
export type OfferRecord = z.infer<typeof OfferRecord>;

export const StatusReport = z
  .object({
    apiVersion: z.literal(HOST_API_VERSION),
    /** ready: an offer would be shown now; busy: a session is open; degraded: an offer would fail at once. */
    state: z.enum(['ready', 'busy', 'degraded']),
    reasons: z.array(DegradedReason),
    displayModel: DisplayModel,
    /** This connection's session, if it has one. */
    session: z.object({ sessionId: SessionId, offerOpen: z.boolean() }).strict().nullable(),
    flows: z.array(
      z
        .object({
          flowId: Slug,
          entryPoint: EntryPoint,
          takesVerifiedSubject: z.boolean(),
          purposes: z.array(z.object({ purposeId: Slug, category: PurposeCategory }).strict()),
        })
        .strict(),
    ),
  })
  .strict();
export type StatusReport = z.infer<typeof StatusReport>;

// --------------------------------------------------------------------------------------------------------- messages

export const StatusCommand = message(commandHeader('Common.Status'), Empty);
export const CancelCommand = message(commandHeader('Common.Cancel'), CancelPayload);
export const BeginSessionCommand = message(commandHeader('OptIn.BeginSession'), BeginSessionPayload);
export const OfferCommand = message(commandHeader('OptIn.Offer'), OfferPayload);
export const EndSessionCommand = message(commandHeader('OptIn.EndSession'), Empty);
export const QuerySessionCommand = message(commandHeader('OptIn.QuerySession'), QuerySessionPayload);
export const HeadphonesCommand = message(commandHeader('OptIn.Headphones'), HeadphonesPayload);

export const Acknowledge = message(AcknowledgeHeader, Empty);

export const StatusCompletion = message(completionHeader('Common.Status'), StatusReport.or(Empty));
export const CancelCompletion = message(completionHeader('Common.Cancel'), Empty);
export const BeginSessionCompletion = message(completionHeader('OptIn.BeginSession'), z.object({ sessionId: SessionId }).strict().or(Empty));
/** Always carries an outcome, even when the offer was refused before anything was shown. */
export const OfferCompletion = message(completionHeader('OptIn.Offer'), OfferOutcome);
export const EndSessionCompletion = message(completionHeader('OptIn.EndSession'), Empty);
export const QuerySessionCompletion = message(
  completionHeader('OptIn.QuerySession'),
  z.object({ sessionId: SessionId, active: z.boolean(), lastOffer: OfferRecord.nullable() }).strict().or(Empty),
);
export const HeadphonesCompletion = message(completionHeader('OptIn.Headphones'), Empty);

export const ShownEvent = message(eventHeader('OptIn.ShownEvent'), z.object({ locale: Locale, displayModel: DisplayModel }).strict());
export const LanguageChangedEvent = message(eventHeader('OptIn.LanguageChangedEvent'), z.object({ locale: Locale }).strict());
export const IdleWarningEvent = message(eventHeader('OptIn.IdleWarningEvent'), z.object({ secondsLeft: z.number().int().min(0) }).strict());
export const CustomerChoseEvent = message(
  eventHeader('OptIn.CustomerChoseEvent'),
  z.object({ choice: z.enum(['accept', 'decline']), purposeIds: z.array(Slug).max(20) }).strict(),
);
/** The consent is durably committed (WAL, synchronous=FULL); the completion follows. */
export const RecordedEvent = message(
  eventHeader('OptIn.RecordedEvent'),
  z.object({ consents: z.array(RecordedConsent).min(1).max(20), committedAt: IsoTimestamp }).strict(),
);
export const RecordFailedEvent = message(
  eventHeader('OptIn.RecordFailedEvent'),
  z.object({ errorCode: OfferErrorCode, errorDescription: Description }).strict(),
);

export const StatusChangedEvent = message(unsolicitedHeader('Common.StatusChangedEvent'), z.object({ state: StatusReport.shape.state, reasons: z.array(DegradedReason) }).strict());
/** The kiosk has left the step's last screen: a CUSS host transfers back now, an overlay is gone. */
export const DisplayReleasedEvent = message(
  unsolicitedHeader('OptIn.DisplayReleasedEvent'),
  z.object({ sessionId: SessionId.nullable(), offerRequestId: RequestId }).strict(),
);

/** Every command: its message and its completion. */
export const hostApiCommands = {
  'Common.Status': { command: StatusCommand, completion: StatusCompletion },
  'Common.Cancel': { command: CancelCommand, completion: CancelCompletion },
  'OptIn.BeginSession': { command: BeginSessionCommand, completion: BeginSessionCompletion },
  'OptIn.Offer': { command: OfferCommand, completion: OfferCompletion },
  'OptIn.EndSession': { command: EndSessionCommand, completion: EndSessionCompletion },
  'OptIn.QuerySession': { command: QuerySessionCommand, completion: QuerySessionCompletion },
  'OptIn.Headphones': { command: HeadphonesCommand, completion: HeadphonesCompletion },
} as const;
export type HostCommandName = keyof typeof hostApiCommands;
export type HostCommand<N extends HostCommandName> = z.infer<(typeof hostApiCommands)[N]['command']>;
export type HostCompletion<N extends HostCommandName> = z.infer<(typeof hostApiCommands)[N]['completion']>;

/** Any one parsed command, narrowed by `header.name`. */
export type AnyHostCommand = { [N in HostCommandName]: HostCommand<N> }[HostCommandName];

export function isHostCommandName(name: string): name is HostCommandName {
  return Object.hasOwn(hostApiCommands, name);
}

/** The events of a running OptIn.Offer, in the order they can come. */
export const hostApiEvents = {
  'OptIn.ShownEvent': ShownEvent,
  'OptIn.LanguageChangedEvent': LanguageChangedEvent,
  'OptIn.IdleWarningEvent': IdleWarningEvent,
  'OptIn.CustomerChoseEvent': CustomerChoseEvent,
  'OptIn.RecordedEvent': RecordedEvent,
  'OptIn.RecordFailedEvent': RecordFailedEvent,
} as const;
export type HostEventName = keyof typeof hostApiEvents;
export type HostEvent<N extends HostEventName = HostEventName> = z.infer<(typeof hostApiEvents)[N]>;

export const hostApiUnsolicited = {
  'Common.StatusChangedEvent': StatusChangedEvent,
  'OptIn.DisplayReleasedEvent': DisplayReleasedEvent,
} as const;
export type HostUnsolicitedName = keyof typeof hostApiUnsolicited;
export type HostUnsolicited<N extends HostUnsolicitedName = HostUnsolicitedName> = z.infer<(typeof hostApiUnsolicited)[N]>;

/** What the kiosk writes for the host application (mode 0600): where the API listens and the per-install secret. */
export const HostApiCredentials = z
  .object({
    url: z.string().regex(/^ws:\/\/127\.0\.0\.1:\d{1,5}\/host-api\/v1$/, 'must be the kiosk’s loopback WebSocket address'),
    secret: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes in base64url'),
  })
  .strict();
export type HostApiCredentials = z.infer<typeof HostApiCredentials>;

/** The HTTP answer to a refused WebSocket upgrade: status and body. */
export const UpgradeRefusal = z.object({ ok: z.literal(false), error: z.object({ code: Slug, message: Description }) });
