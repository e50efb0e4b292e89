import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { KioskFailure, type KioskError, type KioskErrorCode } from '../../shared/contract/errors.ts';

const STATUS_BY_CODE: Partial<Record<KioskErrorCode, ContentfulStatusCode>> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  storage_full: 507,
  storage_unavailable: 503,
};

/** A KioskFailure that also knows its HTTP status (409 for a reused token, 413 for an oversized body…). */
export class ApiFailure extends KioskFailure {
  readonly status: ContentfulStatusCode;

  constructor(code: KioskErrorCode, message: string, options: { status?: ContentfulStatusCode; details?: KioskError['details'] } = {}) {
    super(code, message, options.details);
    this.status = options.status ?? STATUS_BY_CODE[code] ?? 500;
  }
}

export function statusOf(failure: KioskFailure): ContentfulStatusCode {
  return failure instanceof ApiFailure ? failure.status : (STATUS_BY_CODE[failure.code] ?? 500);
}
