import { describe, expect, it } from 'vitest';
import { fullJitterDelay, parseRetryAfter, retryDelay } from '../../../electron/sync/backoff.ts';

const policy = { baseMs: 1_000, capMs: 30_000, maxRetryAfterMs: 600_000 };

describe('retry backoff', () => {
  it('doubles the ceiling with each failed attempt and never waits past the cap', () => {
    const top = () => 0.999_999;
    expect(fullJitterDelay(0, policy, top)).toBe(999);
    expect(fullJitterDelay(3, policy, top)).toBe(7_999);
    expect(fullJitterDelay(40, policy, top)).toBe(29_999);
    expect(fullJitterDelay(5_000, policy, top)).toBe(29_999);
  });

  it('spreads retries over the whole window (full jitter), including immediately', () => {
    expect(fullJitterDelay(4, policy, () => 0)).toBe(0);
    expect(fullJitterDelay(4, policy, () => 0.5)).toBe(8_000);
  });

  it('waits exactly as long as a Retry-After in seconds asks', () => {
    expect(parseRetryAfter('7', 0)).toBe(7_000);
    expect(retryDelay(0, parseRetryAfter('7', 0), policy, () => 0)).toBe(7_000);
  });

  it('reads Retry-After given as an HTTP date', () => {
    const now = Date.parse('2025-03-01T10:00:00Z');
    expect(parseRetryAfter('Sat, 01 Mar 2025 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 09:00:00 GMT', now)).toBe(0);
  });

  it('falls back to its own backoff when Retry-After is missing or unreadable', () => {
    expect(parseRetryAfter(null, 0)).toBeNull();
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(retryDelay(2, null, policy, () => 0.5)).toBe(2_000);
  });

  it('does not let a server park the kiosk longer than the configured bound', () => {
    expect(retryDelay(0, 86_400_000, policy)).toBe(600_000);
  });
});
