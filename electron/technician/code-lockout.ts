import path from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonAtomic } from '../sync/json-file.ts';

export const LOCKOUT_FILE = 'technician-lockout.json';

const LockoutState = z.object({ failures: z.number().int().min(0), lockedUntilMs: z.number().int().min(0), lastAttemptMs: z.number().int().min(0) }).strict();
type LockoutState = z.infer<typeof LockoutState>;

export type LockoutPolicy = {
  /** Wrong codes in a row before technician mode locks. */
  maxFailures: number;
  lockoutMs: number;
  /** No two attempts closer than this: six digits cannot be tried at machine speed. */
  minIntervalMs: number;
};

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, lockoutMs: 15 * 60_000, minIntervalMs: 1_000 };

export type AttemptVerdict = { allowed: true } | { allowed: false; sentence: string };

/**
 * Wrong technician codes, counted in a file of the data directory (written atomically), so neither a restart nor a
 * power cut gives an attacker a fresh set of tries.
 */
export function codeLockout(dataDir: string, policy: LockoutPolicy) {
  const file = path.join(dataDir, LOCKOUT_FILE);
  let state: LockoutState = readJsonFile(file, LockoutState) ?? { failures: 0, lockedUntilMs: 0, lastAttemptMs: 0 };
  const save = (next: LockoutState) => {
    state = next;
    writeJsonAtomic(file, state);
  };
  const until = (ms: number) => new Date(ms).toISOString().slice(11, 16);

  return {
    /** Whether a code may be tried now; the attempt is counted as made. */
    attempt(nowMs: number): AttemptVerdict {
      if (state.lockedUntilMs > nowMs) {
        return { allowed: false, sentence: `Technician mode is locked after ${policy.maxFailures} wrong codes, until ${until(state.lockedUntilMs)} UTC.` };
      }
      if (nowMs - state.lastAttemptMs < policy.minIntervalMs) return { allowed: false, sentence: 'Wait a moment before trying another code.' };
      save({ ...state, lastAttemptMs: nowMs });
      return { allowed: true };
    },
    /** A wrong code; returns the sentence to show and whether this one locked technician mode. */
    failed(nowMs: number): { sentence: string; lockedNow: boolean } {
      const failures = state.failures + 1;
      if (failures >= policy.maxFailures) {
        save({ failures: 0, lockedUntilMs: nowMs + policy.lockoutMs, lastAttemptMs: nowMs });
        return { sentence: `That code is not valid. Technician mode is locked until ${until(nowMs + policy.lockoutMs)} UTC.`, lockedNow: true };
      }
      save({ ...state, failures });
      const left = policy.maxFailures - failures;
      return { sentence: `That code is not valid. ${left} ${left === 1 ? 'try' : 'tries'} left before technician mode locks.`, lockedNow: false };
    },
    succeeded(): void {
      if (state.failures > 0) save({ ...state, failures: 0 });
    },
  };
}
