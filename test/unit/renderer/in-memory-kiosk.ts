import type { CaptureResult } from '../../../shared/contract/capture.ts';
import type { KioskError } from '../../../shared/contract/errors.ts';
import type { KioskApi, KioskResult, StepCaptureRequest, StepReport, StepView } from '../../../shared/contract/kiosk-api.ts';
import type { Locale } from '../../../shared/contract/primitives.ts';
import { Profile } from '../../../shared/contract/profile.ts';
import demo from '../../../profiles/demo.json';

export const demoProfile = Profile.parse(demo);

type Options = {
  /** What captureConsent answers; a promise lets a test hold the "durable commit" back. */
  capture?: () => Promise<KioskResult<CaptureResult>>;
  /** The profile it serves: the demo profile unless said. */
  profile?: Profile;
};

export const committed = (): Promise<KioskResult<CaptureResult>> =>
  Promise.resolve({ ok: true, value: { events: [], committedAt: '2026-11-01T09:00:00.000Z' } });

export const failsWith = (code: KioskError['code']) => (): Promise<KioskResult<CaptureResult>> =>
  Promise.resolve({ ok: false, error: { code, message: 'refused by the test host' } });

type Waiter = { known: string | null; resolve: (result: KioskResult<{ step: StepView | null; headphones: boolean; profileRevision: number }>) => void };

/**
 * A test double for the host (the real one runs under Node with SQLite and is tested there): it serves the demo
 * profile, lets a test offer a step as the terminal's application would (the ATM's with a masked host-verified
 * number) or end it, and records every step report and capture request.
 */
export function inMemoryKiosk({ capture = committed, profile = demoProfile }: Options = {}) {
  const reports: StepReport[] = [];
  const captures: StepCaptureRequest[] = [];
  let step: StepView | null = null;
  let offers = 0;
  const waiters = new Set<Waiter>();
  const ok = <T>(value: T) => Promise.resolve({ ok: true as const, value });
  const wake = () => {
    for (const waiter of waiters) {
      if ((step?.stepId ?? null) === waiter.known) continue;
      waiters.delete(waiter);
      waiter.resolve({ ok: true, value: { step, headphones: false, profileRevision: 1 } });
    }
  };
  const noTechnician = Promise.resolve({ ok: false as const, error: { code: 'forbidden' as const, message: 'No technician is provisioned.' } });
  const api: KioskApi = {
    getProfile: () => ok(profile),
    awaitStep: ({ known }) =>
      (step?.stepId ?? null) === known
        ? new Promise((resolve) => waiters.add({ known: known ?? null, resolve }))
        : ok({ step, headphones: false, profileRevision: 1 }),
    reportStep: (report) => {
      reports.push(report as StepReport);
      if (report.event === 'declined' || report.event === 'timed_out' || report.event === 'released') step = null;
      return ok({});
    },
    captureConsent: (request) => {
      captures.push(request as StepCaptureRequest);
      return capture();
    },
    getStatus: () =>
      ok({
        deviceId: '01932a4e-7a00-7000-8000-000000000001',
        keyId: 'test-key',
        schemaVersion: 1,
        outbox: { pending: 12, synced: 3, dead: 0 },
        oldestPendingAgeMs: 5000,
        chainHead: null,
        sync: { state: 'offline' as const, lastSuccessAt: null, lastError: null },
      }),
    // technician mode is tested against the real host (test/unit/technician, test/e2e/technician.spec.ts)
    technicianBegin: () => noTechnician,
    technicianDiagnostics: () => noTechnician,
    technicianAction: () => noTechnician,
    technicianEnd: () => noTechnician,
  };
  return {
    api,
    reports,
    captures,
    /** The terminal's application offers the step of `flowId`, as the host would hand it to the renderer. */
    offer(flowId: string, locale: Locale = 'en') {
      const flow = demoProfile.flows.find((candidate) => candidate.id === flowId)!;
      offers += 1;
      step = {
        stepId: `test-step-${String(offers).padStart(6, '0')}`,
        flowId,
        purposeIds: flow.purposes.map((purpose) => purpose.id),
        locale,
        verifiedSubject: flowId === 'atm' ? { handle: 'subject-handle-1', masked: '+•••••••5678' } : null,
      };
      wake();
      return step;
    },
    /** The host ended the step from outside (a cancel, a deadline, the application gone). */
    end() {
      step = null;
      wake();
    },
  };
}
