import { useState } from 'react';
import type { StepCaptureRequest } from '../shared/contract/kiosk-api.ts';
import type { KioskErrorCode } from '../shared/contract/errors.ts';
import { callKiosk } from './kiosk-call.ts';
import { announceCapture } from './sync-reading.ts';

export type CapturePhase = { kind: 'editing' } | { kind: 'saving' } | { kind: 'saved'; committedAt: string } | { kind: 'failed'; code: KioskErrorCode };

/** Sends one capture request; "saved" only once the host reports the events durably committed. */
export function useCapture() {
  const [phase, setPhase] = useState<CapturePhase>({ kind: 'editing' });
  const submit = async (request: StepCaptureRequest) => {
    setPhase({ kind: 'saving' });
    const result = await callKiosk('captureConsent', request);
    setPhase(result.ok ? { kind: 'saved', committedAt: result.value.committedAt } : { kind: 'failed', code: result.error.code });
    announceCapture();
  };
  return { phase, submit };
}
