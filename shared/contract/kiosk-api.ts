import { z } from 'zod';
import { CaptureRequest, CaptureResult } from './capture.ts';
import { KioskError } from './errors.ts';
import { KioskStatus } from './status.ts';
import { FunnelReport } from './funnel.ts';
import { Profile } from './profile.ts';
import { Slug } from './primitives.ts';

const NoInput = z.object({}).strict();

/** A started flow. A host-verified number reaches the renderer only masked, behind a handle. */
export const FlowSession = z.object({
  flowId: Slug,
  verifiedSubject: z.object({ handle: z.string().min(1).max(128), masked: z.string().max(32) }).nullable(),
});
export type FlowSession = z.infer<typeof FlowSession>;

/**
 * The whole renderer↔host surface. The Electron IPC adapter and the Chromium bridge both iterate this record, so a
 * new method is one entry here plus one handler in the host.
 */
export const kioskApi = {
  getProfile: { input: NoInput, output: Profile },
  startFlow: { input: z.object({ flowId: Slug }).strict(), output: FlowSession },
  reportFunnel: { input: FunnelReport, output: NoInput },
  captureConsent: { input: CaptureRequest, output: CaptureResult },
  getStatus: { input: NoInput, output: KioskStatus },
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
