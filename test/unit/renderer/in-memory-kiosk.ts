import type { CaptureRequest, CaptureResult } from '../../../shared/contract/capture.ts';
import type { KioskError } from '../../../shared/contract/errors.ts';
import type { FunnelReport } from '../../../shared/contract/funnel.ts';
import type { KioskApi, KioskResult } from '../../../shared/contract/kiosk-api.ts';
import { Profile } from '../../../shared/contract/profile.ts';
import demo from '../../../profiles/demo.json';

export const demoProfile = Profile.parse(demo);

type Options = {
  /** What captureConsent answers; a promise lets a test hold the "durable commit" back. */
  capture?: () => Promise<KioskResult<CaptureResult>>;
};

export const committed = (): Promise<KioskResult<CaptureResult>> =>
  Promise.resolve({ ok: true, value: { events: [], committedAt: '2026-11-01T09:00:00.000Z' } });

export const failsWith = (code: KioskError['code']) => (): Promise<KioskResult<CaptureResult>> =>
  Promise.resolve({ ok: false, error: { code, message: 'refused by the test host' } });

/**
 * A test double for the host (the real one runs under Node with SQLite and is tested there): it serves the demo
 * profile, hands the ATM flow a masked host-verified number, and records every funnel report and capture request.
 */
export function inMemoryKiosk({ capture = committed }: Options = {}) {
  const funnel: FunnelReport[] = [];
  const captures: CaptureRequest[] = [];
  const ok = <T>(value: T) => Promise.resolve({ ok: true as const, value });
  const api: KioskApi = {
    getProfile: () => ok(demoProfile),
    startFlow: ({ flowId }) =>
      ok({ flowId, verifiedSubject: flowId === 'atm' ? { handle: 'subject-handle-1', masked: '+•••••••5678' } : null }),
    reportFunnel: (report) => {
      funnel.push(report as FunnelReport);
      return ok({});
    },
    captureConsent: (request) => {
      captures.push(request as CaptureRequest);
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
  };
  return { api, funnel, captures };
}
