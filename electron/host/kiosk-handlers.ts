import type { KioskHandlers } from '../../shared/contract/kiosk-api.ts';
import type { CaptureRequest, ConsentDraft } from '../../shared/contract/capture.ts';
import type { SyncStatus } from '../../shared/contract/status.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { ConsentTerms, type Flow, type Profile } from '../../shared/contract/profile.ts';
import { KioskFailure } from '../../shared/contract/errors.ts';
import type { FlowSessions } from './flow-sessions.ts';

/** The part of the ledger the renderer's requests reach. */
export type LedgerPort = Pick<Ledger, 'capture' | 'status' | 'recordFunnel'>;

export type KioskHandlerDeps = {
  profile: Profile;
  ledger: LedgerPort;
  sessions: FlowSessions;
  syncStatus: () => SyncStatus;
  /** Called after each durable capture, so a sync worker can wake. */
  onCaptured?: () => void;
};

/** The one implementation of the renderer's API; both shells reach it through `createDispatch`. */
export function createKioskHandlers(deps: KioskHandlerDeps): KioskHandlers {
  const { profile, ledger, sessions } = deps;

  const flowNamed = (flowId: string): Flow => {
    const flow = profile.flows.find((candidate) => candidate.id === flowId);
    if (!flow) throw new KioskFailure('not_found', `This kiosk has no flow "${flowId}".`);
    return flow;
  };

  const draftFor = (request: CaptureRequest, flow: Flow): ConsentDraft => {
    const { subject, ...rest } = request;
    if (subject.source === 'self_entered') return { ...rest, subject };
    const verified = sessions.resolve(subject.handle, flow.id);
    return { ...rest, subject: { source: 'host_verified', phone: verified.phone, customerRef: verified.customerRef } };
  };

  return {
    getProfile: async () => profile,

    startFlow: async ({ flowId }) => sessions.start(flowNamed(flowId)),

    reportFunnel: async (report) => {
      flowNamed(report.flowId);
      ledger.recordFunnel(report);
      if (report.outcome !== 'shown') sessions.end(report.flowId);
      return {};
    },

    captureConsent: async (request) => {
      const flow = flowNamed(request.flowId);
      if (request.entryPoint !== flow.entryPoint) {
        throw new KioskFailure('invalid_request', `Flow "${flow.id}" is entered at "${flow.entryPoint}", not "${request.entryPoint}".`);
      }
      const result = ledger.capture(draftFor(request, flow), ConsentTerms.parse(flow));
      sessions.end(flow.id);
      deps.onCaptured?.();
      return result;
    },

    getStatus: async () => ({ ...ledger.status(), sync: deps.syncStatus() }),
  };
}
