import { toKioskError } from '../../shared/contract/errors.ts';
import type { Profile } from '../../shared/contract/profile.ts';
import type { ProfileVersion } from '../../shared/contract/sync.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { flowTerms, type FlowTerms } from '../host/flow-terms.ts';
import { sha256Hex } from '../ledger/event-signing.ts';
import type { ProfileGuard } from './profile-in-force.ts';
import type { VerifiedProfile } from './profile-signature.ts';

/** How often a waiting profile looks for the moment between two customers. */
const SWITCH_CHECK_MS = 500;

/** What the kiosk tells the API about a signed profile: its revision and the hash of its signed statement. */
export function profileVersionOf(verified: VerifiedProfile): ProfileVersion {
  return { revision: verified.revision, contentHash: sha256Hex(canonicalJson(verified.signed.signed)) };
}

export type ProfileSwitchOptions = {
  guard: ProfileGuard;
  /** A customer is at the terminal (a host session is open or a step is on screen): no switch now. */
  customerPresent: () => boolean;
  /** A switch or a refusal, for the chain (a service event). */
  record: (action: 'profile_switched' | 'profile_refused', outcome: 'done' | 'failed', detail: string) => void;
  log: (line: string) => void;
  checkEveryMs?: number;
};

/**
 * The profile on the customer's screen, which changes only between customers. A profile from the central API goes
 * through the guard first (pinned key, expiry, revision floor) and is then the last good profile on disk at once, so
 * a restart comes up with it; the screen switches to it when no customer is there: at once, or as soon as the one
 * at the terminal has gone. A customer who started with the old wording finishes with it.
 */
export function createProfileSwitch(options: ProfileSwitchOptions) {
  let shown: VerifiedProfile = options.guard.current();
  let terms: FlowTerms = flowTerms(shown.profile);
  let waiting: VerifiedProfile | null = null;
  const refusedContent = new Set<string>();
  const listeners = new Set<(revision: number) => void>();

  const trySwitch = (): boolean => {
    if (!waiting || options.customerPresent()) return false;
    const from = shown.revision;
    shown = waiting;
    terms = flowTerms(shown.profile);
    waiting = null;
    options.log(`profile: revision ${shown.revision} (${shown.profile.id} ${shown.profile.version}) is in force, after revision ${from}`);
    options.record('profile_switched', 'done', `revision ${from} → ${shown.revision} (${shown.profile.id} ${shown.profile.version}), from the central API`);
    for (const listener of listeners) listener(shown.revision);
    return true;
  };
  const timer = setInterval(trySwitch, options.checkEveryMs ?? SWITCH_CHECK_MS);
  timer.unref();

  return {
    profile: (): Profile => shown.profile,
    revision: (): number => shown.revision,
    version: (): ProfileVersion => profileVersionOf(shown),
    /** The sentences of a flow of the profile on screen (each parsed once per profile). */
    terms: ((flow) => terms(flow)) as FlowTerms,
    /** A newer profile is accepted and waits for the customer at the terminal to leave. */
    waiting: (): number | null => waiting?.revision ?? null,
    /**
     * A signed profile the central API sent. Refused (tampered, other key, expired, older…), nothing changes: the
     * guard keeps its sentence for the diagnostics screen, and the chain gets one service event per refused content.
     */
    offer(json: unknown): void {
      let accepted: VerifiedProfile;
      try {
        accepted = options.guard.offer(json, 'from the central API');
      } catch (error) {
        const sentence = toKioskError(error).message;
        const key = sha256Hex(canonicalJson(json ?? null));
        if (!refusedContent.has(key)) {
          refusedContent.add(key);
          options.record('profile_refused', 'failed', sentence);
        }
        return;
      }
      if (accepted.revision <= shown.revision) return;
      waiting = accepted;
      trySwitch();
    },
    /** Called with the new revision after each switch. */
    onSwitch(listener: (revision: number) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => clearInterval(timer),
  };
}

export type ProfileSwitch = ReturnType<typeof createProfileSwitch>;
