import { z } from 'zod';
import { CaptureRequest, CaptureResult } from './capture.ts';
import { KioskError } from './errors.ts';
import { KioskStatus } from './status.ts';
import { Profile } from './profile.ts';
import { Locale, Slug } from './primitives.ts';
import { technicianApi } from './technician.ts';

const NoInput = z.object({}).strict();
const StepId = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be a step id the host issued');

/**
 * The opt-in step the host application offered, as the renderer shows it. A host-verified number reaches the
 * renderer only masked, behind a handle valid for this step only.
 */
export const StepView = z.object({
  stepId: StepId,
  flowId: Slug,
  /** The purposes offered: the flow's, or the subset the host asked for. */
  purposeIds: z.array(Slug).min(1).max(20),
  locale: Locale,
  verifiedSubject: z.object({ handle: z.string().min(1).max(128), masked: z.string().max(32) }).nullable(),
});
export type StepView = z.infer<typeof StepView>;

/** What the renderer tells the host while a step is on screen; the host passes it on to the host application. */
export const StepReport = z.discriminatedUnion('event', [
  z.object({ stepId: StepId, event: z.literal('shown') }).strict(),
  z.object({ stepId: StepId, event: z.literal('language_changed'), locale: Locale }).strict(),
  z.object({ stepId: StepId, event: z.literal('idle_warning'), secondsLeft: z.number().int().min(0).max(600) }).strict(),
  z.object({ stepId: StepId, event: z.literal('declined'), locale: Locale }).strict(),
  z.object({ stepId: StepId, event: z.literal('timed_out'), locale: Locale }).strict(),
  /** The step's last screen is gone (after "Continue"): the screen goes back to the host. */
  z.object({ stepId: StepId, event: z.literal('released') }).strict(),
]);
export type StepReport = z.infer<typeof StepReport>;

/**
 * A capture answering an offered step names it; an opt-out, which a person may ask for at any time, names none.
 * `declined` lists the sentences of the review the customer left unaccepted, by their purposes only: a decline
 * carries no text, since the shown sentence names the customer's number.
 */
export const StepCaptureRequest = CaptureRequest.extend({
  stepId: StepId.optional(),
  declined: z.array(z.object({ purposeIds: z.array(Slug).min(1).max(10) }).strict()).min(1).max(5).optional(),
});
export type StepCaptureRequest = z.infer<typeof StepCaptureRequest>;

/**
 * The whole renderer↔host surface. The Electron IPC adapter and the Chromium bridge both iterate this record, so a
 * new method is one entry here plus one handler in the host.
 */
export const kioskApi = {
  getProfile: { input: NoInput, output: Profile },
  /**
   * Long poll: answers as soon as the step on screen should differ from `known` (an offer arrived, or the host
   * cancelled), or the headphones differ from `headphones`, or the profile in force is no longer revision
   * `knownProfile` (a new one came into force between customers: the renderer asks for it again), or after `waitMs`
   * with the same answer.
   */
  awaitStep: {
    input: z
      .object({
        known: StepId.nullable(),
        knownProfile: z.number().int().min(1).optional(),
        waitMs: z.number().int().min(0).max(25_000).default(20_000),
        /** The headphone state the renderer shows; when given, a change of it answers the poll too. */
        headphones: z.boolean().optional(),
      })
      .strict(),
    /** `headphones`: the host application reported headphones plugged into the terminal's jack (OptIn.Headphones). */
    output: z.object({ step: StepView.nullable(), headphones: z.boolean(), profileRevision: z.number().int().min(1) }),
  },
  reportStep: { input: StepReport, output: NoInput },
  captureConsent: { input: StepCaptureRequest, output: CaptureResult },
  getStatus: { input: NoInput, output: KioskStatus },
  /** Technician mode (docs/technician.md). */
  ...technicianApi,
} as const;

export type KioskMethod = keyof typeof kioskApi;
export type KioskInput<M extends KioskMethod> = z.input<(typeof kioskApi)[M]['input']>;
export type KioskOutput<M extends KioskMethod> = z.output<(typeof kioskApi)[M]['output']>;

/** Errors are values on the wire: the renderer never sees an exception or a stack trace. */
export type KioskResult<T> = { ok: true; value: T } | { ok: false; error: KioskError };

export function kioskResult<S extends z.ZodType>(value: S) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: KioskError }),
  ]);
}

/** What `window.kiosk` is in the renderer, whichever shell runs it. */
export type KioskApi = {
  [M in KioskMethod]: (input: KioskInput<M>) => Promise<KioskResult<KioskOutput<M>>>;
};

/** What the host implements: validated input in, a value out or a thrown KioskFailure. */
export type KioskHandlers = {
  [M in KioskMethod]: (input: z.output<(typeof kioskApi)[M]['input']>) => Promise<KioskOutput<M>>;
};
