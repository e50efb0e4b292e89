import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { KioskFailure, type KioskError, type KioskErrorCode } from '../../shared/contract/errors.ts';
import type { StorageFailure } from '../store/sql.ts';

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

/** A request the store failed, as the API answers it (nothing was stored), with the line the operator sees. */
export function storageFailure(storage: StorageFailure, code: string | undefined, log: (line: string) => void): ApiFailure {
  if (storage === 'full') {
    log('store: disk full, request refused');
    return new ApiFailure('storage_full', 'The server is out of storage; nothing was stored. Retry later.');
  }
  log(`store: ${code ?? 'unavailable'}`);
  return new ApiFailure('storage_unavailable', 'The server could not store the request; nothing was stored. Retry later.');
}
