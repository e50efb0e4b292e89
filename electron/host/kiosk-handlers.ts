import type { KioskHandlers } from '../../shared/contract/kiosk-api.ts';
import type { SyncStatus } from '../../shared/contract/status.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Flow, Profile } from '../../shared/contract/profile.ts';
import type { FlowTerms } from './flow-terms.ts';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { stopEntryPoint } from '../../shared/entry-points.ts';
import type { StepCoordinator } from '../integration/step-coordinator.ts';

/** The part of the ledger the renderer's requests reach. */
export type LedgerPort = Pick<Ledger, 'capture' | 'status'>;

export type KioskHandlerDeps = {
  /** The profile on screen (it changes only between customers) and its revision. */
  profile: () => Profile;
  profileRevision: () => number;
  terms: FlowTerms;
  ledger: LedgerPort;
  steps: Pick<StepCoordinator, 'awaitStep' | 'report' | 'captureForStep'>;
  syncStatus: () => SyncStatus;
  /** Called after each durable opt-out, so a sync worker can wake (the coordinator does it for opt-ins). */
  onCaptured?: () => void;
  technician: Pick<KioskHandlers, 'technicianBegin' | 'technicianDiagnostics' | 'technicianAction' | 'technicianEnd'>;
};

/** The one implementation of the renderer's API; both shells reach it through `createDispatch`. */
export function createKioskHandlers(deps: KioskHandlerDeps): KioskHandlers {
  const { profile, ledger, steps } = deps;

  const flowNamed = (flowId: string): Flow => {
    const flow = profile().flows.find((candidate) => candidate.id === flowId);
    if (!flow) throw new KioskFailure('not_found', `This kiosk has no flow "${flowId}".`);
    return flow;
  };

  return {
    getProfile: async () => profile(),

    awaitStep: async ({ known, knownProfile, waitMs, headphones }) => ({
      ...(await steps.awaitStep(known, waitMs, { knownProfile, headphones })),
      profileRevision: deps.profileRevision(),
    }),

    reportStep: async (report) => {
      steps.report(report);
      return {};
    },

    captureConsent: async (request) => {
      const flow = flowNamed(request.flowId);
      // An opt-in answers the host application's offer; an opt-out a person may ask for at any time.
      if (request.stepId !== undefined) return steps.captureForStep({ ...request, stepId: request.stepId });
      if (request.kind === 'opt_in') {
        throw new KioskFailure('forbidden', 'An opt-in is recorded only as the answer to an offer of the terminal’s application.');
      }
      if (request.entryPoint !== stopEntryPoint(flow)) {
        throw new KioskFailure('invalid_request', `Opt-outs of flow "${flow.id}" are entered at "${stopEntryPoint(flow)}", not "${request.entryPoint}".`);
      }
      if (request.subject.source !== 'self_entered') {
        throw new KioskFailure('invalid_request', 'An opt-out is recorded for the number the person types.');
      }
      const { stepId: _stepId, declined, ...draft } = request;
      if (declined) throw new KioskFailure('invalid_request', 'Only an offered step has sentences to decline.');
      const result = ledger.capture({ ...draft, subject: request.subject }, deps.terms(flow));
      deps.onCaptured?.();
      return result;
    },

    getStatus: async () => ({ ...ledger.status(), sync: deps.syncStatus() }),

    technicianBegin: deps.technician.technicianBegin,
    technicianDiagnostics: deps.technician.technicianDiagnostics,
    technicianAction: deps.technician.technicianAction,
    technicianEnd: deps.technician.technicianEnd,
  };
}
