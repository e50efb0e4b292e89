import type { Profile } from '../shared/contract/profile.ts';

export type IdleTiming = Profile['idle'];

/**
 * The profile's idle timings, unless the page was opened with `?idle=TIMEOUT,WARNING` (seconds). The override
 * exists so end-to-end tests need not wait a minute; the profile itself cannot go below 20 seconds.
 */
export function idleTiming(profileIdle: IdleTiming, search: string): IdleTiming {
  const override = new URLSearchParams(search).get('idle');
  const match = override?.match(/^(\d{1,3}),(\d{1,3})$/);
  if (!match) return profileIdle;
  return { timeoutSeconds: Number(match[1]), warningSeconds: Number(match[2]) };
}
