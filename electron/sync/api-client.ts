import type { z } from 'zod';
import { ApiKeys, SignedApiStatement } from '../../shared/contract/api-statement.ts';
import { KioskError } from '../../shared/contract/errors.ts';
import {
  EnrolmentRequest,
  EnrolmentResponse,
  HealthResponse,
  Heartbeat,
  HeartbeatAnswer,
  IngestResponse,
} from '../../shared/contract/sync.ts';
import { parseRetryAfter } from './backoff.ts';

/**
 * Why a call to the central API did not give a usable answer. `network` and `timeout` mean the API was not reached
 * (or not in time), `unavailable` a 5xx/429/408 (retry, honouring `retryAfterMs`), `unauthorized` a 401 (the device
 * must enrol again: retrying would only repeat it), `refused` any other 4xx, `invalid_response` a reply that does not
 * match the contract, `aborted` a call cancelled by the kiosk itself (shutdown).
 */
export type ApiFailureKind = 'network' | 'timeout' | 'unavailable' | 'unauthorized' | 'refused' | 'invalid_response' | 'aborted';

export class ApiFailure extends Error {
  readonly kind: ApiFailureKind;
  readonly status: number | null;
  readonly retryAfterMs: number | null;

  constructor(kind: ApiFailureKind, message: string, status: number | null = null, retryAfterMs: number | null = null) {
    super(message);
    this.name = 'ApiFailure';
    this.kind = kind;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * An ingest batch whose events are already JSON texts (the ledger's stored canonical bodies, signatures and
 * openings put together): the body is written around them instead of parsing and serialising each event again. No
 * clock offset travels with it: the API corrects time only by the clock observations signed into the chain.
 */
export type IngestBatchJson = { eventsJson: readonly string[] };

export type ApiClientOptions = {
  baseUrl: string;
  /** Each call (headers and body) must complete within this, or it fails as `timeout`. */
  timeoutMs: number;
  now?: () => number;
};

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient({ baseUrl, timeoutMs, now = Date.now }: ApiClientOptions) {
  const root = baseUrl.replace(/\/+$/, '');

  async function call<S extends z.ZodType>(
    path: string,
    init: { method: 'GET' | 'POST'; body?: string; credential?: string; signal?: AbortSignal },
    schema: S,
  ): Promise<z.output<S>> {
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (init.signal) signals.push(init.signal);
    const signal = AbortSignal.any(signals);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.credential) headers.authorization = `Bearer ${init.credential}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${root}${path}`, {
        method: init.method,
        headers,
        body: init.body,
        signal,
      });
      text = await response.text();
    } catch (error) {
      throw transportFailure(error, init.signal, path);
    }
    if (!response.ok) throw statusFailure(response, text, path, now());
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiFailure('invalid_response', `${path} answered ${response.status} with a body that is not JSON`, response.status);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'malformed';
      throw new ApiFailure('invalid_response', `${path} answered with a reply outside the contract (${where})`, response.status);
    }
    return parsed.data;
  }

  return {
    enrol(request: EnrolmentRequest, signal?: AbortSignal) {
      return call('/v1/devices/enrol', { method: 'POST', body: JSON.stringify(EnrolmentRequest.parse(request)), signal }, EnrolmentResponse);
    },
    ingest(credential: string, { eventsJson }: IngestBatchJson, signal?: AbortSignal) {
      const body = `{"events":[${eventsJson.join(',')}]}`;
      return call('/v1/ingest', { method: 'POST', body, credential, signal }, IngestResponse);
    },
    /** The API's signed statement of the device's chain head now: what a clock observation records. */
    deviceHead(credential: string, signal?: AbortSignal) {
      return call('/v1/devices/head', { method: 'GET', credential, signal }, SignedApiStatement);
    },
    /** The API's statement keys, for a credential enrolled before the enrolment answer carried them. */
    apiKeys(signal?: AbortSignal) {
      return call('/v1/keys', { method: 'GET', signal }, ApiKeys);
    },
    heartbeat(credential: string, heartbeat: Heartbeat, signal?: AbortSignal) {
      return call('/v1/devices/heartbeat', { method: 'POST', body: JSON.stringify(Heartbeat.parse(heartbeat)), credential, signal }, HeartbeatAnswer);
    },
    health(signal?: AbortSignal) {
      return call('/health', { method: 'GET', signal }, HealthResponse);
    },
    /** True when GET /health answers within the timeout: the network (and the API) is up. */
    async reachable(signal?: AbortSignal): Promise<boolean> {
      try {
        await call('/health', { method: 'GET', signal }, HealthResponse);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function transportFailure(error: unknown, callerSignal: AbortSignal | undefined, path: string): ApiFailure {
  if (callerSignal?.aborted) return new ApiFailure('aborted', `${path} was cancelled by the kiosk`);
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError') return new ApiFailure('timeout', `${path} did not answer in time`);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new ApiFailure('network', `${path} could not be reached${cause}`);
}

function statusFailure(response: Response, text: string, path: string, nowMs: number): ApiFailure {
  const status = response.status;
  const body = KioskError.safeParse(safeJson(text));
  const reason = body.success ? `: ${body.data.message}` : '';
  const message = `${path} answered ${status}${reason}`;
  if (status === 401) return new ApiFailure('unauthorized', message, status);
  if (status >= 500 || status === 429 || status === 408) {
    return new ApiFailure('unavailable', message, status, parseRetryAfter(response.headers.get('retry-after'), nowMs));
  }
  return new ApiFailure('refused', message, status);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
