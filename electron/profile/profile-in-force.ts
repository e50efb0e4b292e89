import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { KioskFailure, toKioskError } from '../../shared/contract/errors.ts';
import { SignedProfile, type ProfileInForce } from '../../shared/contract/signed-profile.ts';
import { readProfileJson } from '../host/profile-file.ts';
import { readJsonFile, writeJsonAtomic } from '../sync/json-file.ts';
import { sameSignedContent, verifySignedProfile, type VerifiedProfile } from './profile-signature.ts';
import type { PinnedProfileKey } from './provisioning-key.ts';

/** The copy of the last profile this terminal accepted, in its data directory (0600, written atomically). */
export const LAST_GOOD_PROFILE_FILE = 'profile-in-force.json';

export type ProfileGuard = {
  /** The profile in force and what the diagnostics screen says of it. */
  current(): VerifiedProfile;
  describe(): ProfileInForce;
  /**
   * Checks a new signed profile against the pin, its expiry and the revision in force; accepted, it is kept as the
   * last good one and returned. Refused, nothing changes and the refusal (one sentence) is remembered and thrown.
   */
  offer(json: unknown, source: string, now?: Date): VerifiedProfile;
};

/**
 * The roll-back guard over the pinned provisioning key: at start the configured profile file is offered; the last
 * good profile (kept in the data directory) stays in force when it is refused. With no last good one, a refusal
 * stops the start with its sentence (the out-of-service screen shows it).
 *
 * The revision floor is the last good copy in the data directory: whoever can write that directory (the kiosk's own
 * account, root) can also replace the ledger, so it is guarded as the ledger is, by the directory's mode 0700.
 */
export function openProfileGuard(options: { profilePath: string; dataDir: string; pin: PinnedProfileKey; now?: () => Date; log?: (line: string) => void }): ProfileGuard {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const lastGoodFile = path.join(options.dataDir, LAST_GOOD_PROFILE_FILE);
  let inForce: VerifiedProfile | null = null;
  let refused: string | null = null;

  const kept = readJsonFile(lastGoodFile, SignedProfile);
  if (kept) {
    try {
      inForce = verifySignedProfile(kept, options.pin, now(), `kept in force (${lastGoodFile})`);
    } catch (error) {
      log(`profile: the last good copy is no longer usable: ${toKioskError(error).message}`);
    }
  }

  const offer = (json: unknown, source: string, at = now()): VerifiedProfile => {
    try {
      const candidate = verifySignedProfile(json, options.pin, at, source);
      if (inForce && candidate.revision < inForce.revision) {
        throw new KioskFailure(
          'forbidden',
          `The profile ${source} is revision ${candidate.revision}, older than revision ${inForce.revision} in force: a terminal never goes back to an older profile.`,
        );
      }
      if (inForce && candidate.revision === inForce.revision && !sameSignedContent(candidate.signed, inForce.signed)) {
        throw new KioskFailure(
          'forbidden',
          `The profile ${source} claims revision ${candidate.revision}, which is in force with other content: a changed profile needs a higher revision.`,
        );
      }
      if (!inForce || candidate.revision !== inForce.revision) {
        mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
        writeJsonAtomic(lastGoodFile, candidate.signed);
      }
      inForce = candidate;
      refused = null;
      return candidate;
    } catch (error) {
      throw refuse(error);
    }
  };
  const refuse = (error: unknown): KioskFailure => {
    const sentence = toKioskError(error).message;
    refused = inForce ? `${sentence} The last good profile, revision ${inForce.revision}, stays in force.` : sentence;
    log(`profile refused: ${refused}`);
    return new KioskFailure(toKioskError(error).code, refused);
  };

  let configured: unknown;
  try {
    configured = readProfileJson(options.profilePath);
  } catch (error) {
    const refusal = refuse(error);
    if (!inForce) throw refusal;
  }
  if (configured !== undefined) {
    try {
      offer(configured, options.profilePath);
    } catch (error) {
      if (!inForce) throw error;
    }
  }

  const current = (): VerifiedProfile => inForce!;
  return {
    current,
    describe: () => ({
      id: current().profile.id,
      version: current().profile.version,
      revision: current().revision,
      keyFingerprint: current().keyFingerprint,
      developmentKey: options.pin.development,
      expiresAt: current().expiresAt,
      refused,
    }),
    offer,
  };
}
