/**
 * Capped full-jitter exponential backoff: the delay before retry `attempt` (0-based) is uniform in
 * [0, min(cap, base·2^attempt)], so a fleet of kiosks coming back after an outage spreads its retries out instead of
 * hitting the API in lock-step.
 */
export type BackoffPolicy = {
  baseMs: number;
  capMs: number;
  /** A server's Retry-After is honoured up to this bound, so a typo on the server cannot park a kiosk for a week. */
  maxRetryAfterMs: number;
};

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000, maxRetryAfterMs: 60 * 60_000 };

export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * ceiling);
}

/**
 * Retry-After as milliseconds from `nowMs`: either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Null when
 * absent or unreadable, in which case the caller falls back to its own backoff.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | null {
  if (header === null || header === undefined) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/** The wait before the next attempt: the server's Retry-After when it gave one (bounded), else full jitter. */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | null,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  return fullJitterDelay(attempt, policy, random);
}
