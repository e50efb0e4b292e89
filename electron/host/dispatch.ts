import { kioskApi, type KioskHandlers, type KioskMethod, type KioskOutput, type KioskResult } from '../../shared/contract/kiosk-api.ts';
import { KioskFailure, parseOrFail, toKioskError } from '../../shared/contract/errors.ts';

/** What both shells call with whatever arrived over IPC or HTTP. Never throws. */
export type Dispatch = {
  <M extends KioskMethod>(method: M, rawInput: unknown): Promise<KioskResult<KioskOutput<M>>>;
  (method: string, rawInput: unknown): Promise<KioskResult<unknown>>;
};

export const kioskMethods = Object.keys(kioskApi) as KioskMethod[];

const notStarted: KioskResult<never> = { ok: false, error: { code: 'storage_unavailable', message: 'The kiosk could not start.' } };

/** What every call answers when the kiosk could not start (its page then says so, in plain words). */
export const couldNotStart = (async () => notStarted) as Dispatch;

export function isKioskMethod(method: string): method is KioskMethod {
  return Object.hasOwn(kioskApi, method);
}

type AnyHandler = (input: unknown) => Promise<unknown>;

/**
 * Validates the input with the method's schema, runs its handler and checks the output against the contract, so a
 * new method is one entry in `kioskApi` and one handler. Failures become values; only unexpected ones are logged,
 * by class name, because a message might quote personal data.
 */
export function createDispatch(handlers: KioskHandlers, log: (line: string) => void = console.error): Dispatch {
  const dispatch = async (method: string, rawInput: unknown): Promise<KioskResult<unknown>> => {
    try {
      if (!isKioskMethod(method)) throw new KioskFailure('not_found', `The kiosk has no method "${method.slice(0, 64)}".`);
      const schema = kioskApi[method];
      const input = parseOrFail(schema.input, rawInput, `${method} request`);
      const value = await (handlers[method] as AnyHandler)(input);
      const output = schema.output.safeParse(value);
      if (!output.success) {
        log(`kiosk: ${method} produced a value outside the contract`);
        return { ok: false, error: toKioskError(null) };
      }
      return { ok: true, value: output.data };
    } catch (error) {
      if (!(error instanceof KioskFailure)) log(`kiosk: ${method} failed unexpectedly (${error instanceof Error ? error.name : typeof error})`);
      return { ok: false, error: toKioskError(error) };
    }
  };
  return dispatch as Dispatch;
}
