import { z } from 'zod';
import { SignedApiStatement } from './api-statement.ts';
import { ConsentEventBody, ConsentEventBodyV1, DeviceClock, EventLink, Signed } from './consent-event.ts';
import { IsoTimestamp, KeyId, RawPublicKey, Slug, Text } from './primitives.ts';

/**
 * The other events a device signs into the same chain as its consents. None of them is ever a consent: the API
 * stores them for the chain and for time and key evidence, and no state or check reads them.
 */
const NonConsent = { v: z.literal(2), ...EventLink, capturedAt: IsoTimestamp, clock: DeviceClock };

/** One reading of the device clock around a request whose answer the API signed (api-statement.ts). */
const ClockReading = z.object({ at: IsoTimestamp, monoMs: z.number().int().min(0) }).strict();

/**
 * A clock observation: the API's signed statement, and the device's wall and monotonic clocks when the request left
 * (`sent`) and when the answer came (`received`), all of one boot (`clock.bootId`). The API corrects the events
 * around it by these, never by a clock offset the kiosk merely claims.
 */
export const ClockObservationBody = z
  .object({
    ...NonConsent,
    type: z.literal('clock_observation'),
    statement: SignedApiStatement,
    sent: ClockReading,
    received: ClockReading,
  })
  .strict();
export type ClockObservationBody = z.infer<typeof ClockObservationBody>;

/**
 * Key rotation: signed by the current key (`device.keyId`), naming the next. Every later event is signed by the next
 * key; the API accepts the next key for seqs after this one only.
 */
export const KeyRotationBody = z
  .object({
    ...NonConsent,
    type: z.literal('key_rotation'),
    next: z.object({ keyId: KeyId, publicKey: RawPublicKey }).strict(),
    reason: z.enum(['scheduled', 'suspected_compromise', 'technician']),
  })
  .strict();
export type KeyRotationBody = z.infer<typeof KeyRotationBody>;

/** What a technician did at the terminal, each recorded as it happened (docs/technician.md). */
export const ServiceAction = z.enum([
  'session_started',
  'session_ended',
  'locked_out',
  'integrity_checked',
  'network_checked',
  'sync_requested',
  'enrolment',
  'dead_letters_requeued',
  'dead_letters_exported',
  'test_capture',
  'restart',
  // a profile from the central API came into force between customers, or was refused (docs/profiles.md)
  'profile_switched',
  'profile_refused',
]);
export type ServiceAction = z.infer<typeof ServiceAction>;

/**
 * A service event: who (the technician whose one-time code opened the session; none for a lockout), when (the
 * event's clocks), what, and how it went. Never a consent and never personal data: no state or check reads it; it is
 * in the chain so that what a technician did to a terminal is as provable, and as impossible to remove quietly, as
 * what a customer agreed to. A test capture is one of these, never a consent event.
 */
export const ServiceEventBody = z
  .object({
    ...NonConsent,
    type: z.literal('service'),
    /** The technician session, as the kiosk numbered it; null for what happened outside one (a lockout). */
    session: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).nullable(),
    technician: Slug.nullable(),
    action: ServiceAction,
    outcome: z.enum(['done', 'failed']),
    detail: Text(0, 300),
  })
  .strict();
export type ServiceEventBody = z.infer<typeof ServiceEventBody>;

export const ChainEventBodyV2 = z.discriminatedUnion('type', [ConsentEventBody, ClockObservationBody, KeyRotationBody, ServiceEventBody]);

/** Everything a device signs and chains, every version: what verify, sync, ingest and export parse. */
export const ChainEventBody = z.discriminatedUnion('v', [ConsentEventBodyV1, ChainEventBodyV2]);
export type ChainEventBody = z.infer<typeof ChainEventBody>;

export const ChainEvent = z.discriminatedUnion('v', [
  ConsentEventBodyV1.extend(Signed).strict(),
  z.discriminatedUnion('type', [
    ConsentEventBody.extend(Signed).strict(),
    ClockObservationBody.extend(Signed).strict(),
    KeyRotationBody.extend(Signed).strict(),
    ServiceEventBody.extend(Signed).strict(),
  ]),
]);
export type ChainEvent = z.infer<typeof ChainEvent>;

export type AnyConsentEventBody = ConsentEventBodyV1 | ConsentEventBody;

/** A consent event of any version, as opposed to the chain's other events. */
export function isConsent<T extends ChainEventBody>(body: T): body is Extract<T, AnyConsentEventBody> {
  return body.v === 1 || body.type === 'consent';
}

export type ChainEventType = 'consent' | ClockObservationBody['type'] | KeyRotationBody['type'] | ServiceEventBody['type'];
export const chainEventType = (body: ChainEventBody): ChainEventType => (body.v === 1 ? 'consent' : body.type);
