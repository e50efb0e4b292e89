import { z } from 'zod';

/**
 * Every boundary (IPC, bridge, host API, profile files, server endpoints, CLI) reports failure with this one
 * shape, so the UI can show a calm message, the CLI can print one line and the server can answer a 4xx.
 */
export const KioskErrorCode = z.enum([
  'invalid_request',
  'invalid_phone',
  'unknown_purpose',
  'bundled_marketing',
  'notice_mismatch',
  'storage_full',
  'storage_unavailable',
  'ledger_corrupt',
  'not_found',
  'unauthorized',
  'forbidden',
  'internal',
]);
export type KioskErrorCode = z.infer<typeof KioskErrorCode>;

export const KioskError = z.object({
  code: KioskErrorCode,
  message: z.string().max(500),
  details: z.array(z.object({ path: z.string(), message: z.string() })).max(50).optional(),
});
export type KioskError = z.infer<typeof KioskError>;

/** A thrown KioskError; `toJSON` yields the wire shape. */
export class KioskFailure extends Error {
  readonly code: KioskErrorCode;
  readonly details: KioskError['details'];

  constructor(code: KioskErrorCode, message: string, details?: KioskError['details']) {
    super(message);
    this.name = 'KioskFailure';
    this.code = code;
    this.details = details;
  }

  toJSON(): KioskError {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/** Parses `input` with `schema`, or throws an `invalid_request` failure naming each bad field. */
export function parseOrFail<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.slice(0, 50).map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const first = details[0];
  throw new KioskFailure('invalid_request', `Invalid ${what}: ${first ? `${first.path}: ${first.message}` : 'malformed'}`, details);
}

/** Normalises anything thrown into the wire shape without leaking stack traces. */
export function toKioskError(error: unknown): KioskError {
  if (error instanceof KioskFailure) return error.toJSON();
  return { code: 'internal', message: 'Something went wrong inside the kiosk. The event was not recorded.' };
}
