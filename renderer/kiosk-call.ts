import type { KioskInput, KioskMethod, KioskOutput, KioskResult } from '../shared/contract/kiosk-api.ts';

/**
 * Calls the host through `window.kiosk`. A missing bridge or a rejected promise becomes an ordinary error value, so
 * a screen never has to handle an exception and never shows a stack trace.
 */
export async function callKiosk<M extends KioskMethod>(
  method: M,
  input: KioskInput<M>,
): Promise<KioskResult<KioskOutput<M>>> {
  const api = window.kiosk;
  if (!api) return { ok: false, error: { code: 'internal', message: 'The kiosk host is not connected.' } };
  try {
    const call = api[method] as (input: KioskInput<M>) => Promise<KioskResult<KioskOutput<M>>>;
    return await call(input);
  } catch {
    return { ok: false, error: { code: 'internal', message: 'The kiosk host did not answer.' } };
  }
}
