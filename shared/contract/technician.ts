import { z } from 'zod';
import { IsoTimestamp } from './primitives.ts';
import { ProfileInForce } from './signed-profile.ts';
import { SyncStatus } from './status.ts';

export const TechnicianSessionId = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be a technician session id the kiosk issued');
const Session = z.object({ session: TechnicianSessionId }).strict();

/** A six-digit RFC 6238 code from the technician's authenticator. */
export const TechnicianCode = z.string().regex(/^\d{6}$/, 'must be the six digits of a technician code');

export const TechnicianOpened = z.object({ session: TechnicianSessionId, technician: z.string(), idleSeconds: z.number().int() });

/** The actions of the diagnostics screen; each is recorded in the chain as a service event. */
export const TechnicianActionName = z.enum([
  'check_integrity',
  'check_network',
  'sync_now',
  'enrol',
  'requeue_dead_letters',
  'export_dead_letters',
  'test_capture',
  'restart',
]);
export type TechnicianActionName = z.infer<typeof TechnicianActionName>;

export const TechnicianActionRequest = z
  .object({
    session: TechnicianSessionId,
    action: TechnicianActionName,
    /** `enrol` only: the one-time enrolment token as typed, digits (spaces and dashes are ignored). */
    token: z.string().max(64).optional(),
  })
  .strict();

export const DeadLetterView = z.object({ seq: z.number().int(), id: z.string(), type: z.string(), reason: z.string().nullable(), attempts: z.number().int() });

export const TechnicianActionResult = z.object({
  outcome: z.enum(['done', 'failed']),
  /** One sentence for the technician. */
  message: z.string().max(500),
  /** `export_dead_letters`: the file written (in the data directory) and what it holds. */
  deadLetters: z.array(DeadLetterView).optional(),
});
export type TechnicianActionResult = z.infer<typeof TechnicianActionResult>;

/** Everything on the diagnostics screen, read at once. */
export const Diagnostics = z.object({
  deviceId: z.string(),
  keyId: z.string(),
  keyFingerprint: z.string(),
  enrolment: z.enum(['enrolled', 'not_enrolled', 'sync_off']),
  sync: SyncStatus,
  apiUrl: z.string().nullable(),
  outbox: z.object({ pending: z.number().int(), synced: z.number().int(), dead: z.number().int() }),
  clock: z.object({ offsetMs: z.number().int().nullable(), knownGood: z.boolean(), observedAgoMs: z.number().int().nullable() }),
  freeDiskBytes: z.number().int().nullable(),
  profile: ProfileInForce,
  appVersion: z.string(),
  /** Filled by `check_network` and `check_integrity`: null until the technician asks. */
  apiReachable: z.object({ reachable: z.boolean(), checkedAt: IsoTimestamp, message: z.string() }).nullable(),
  integrity: z.object({ ok: z.boolean(), checkedAt: IsoTimestamp, message: z.string() }).nullable(),
});
export type Diagnostics = z.infer<typeof Diagnostics>;

export const technicianApi = {
  /** From the attract screen only: opens a technician session for the code's owner. */
  technicianBegin: { input: z.object({ code: TechnicianCode }).strict(), output: TechnicianOpened },
  technicianDiagnostics: { input: Session, output: Diagnostics },
  technicianAction: { input: TechnicianActionRequest, output: TechnicianActionResult },
  technicianEnd: { input: Session, output: z.object({}).strict() },
} as const;
