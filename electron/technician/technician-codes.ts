import { statSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';
import { z } from 'zod';
import { Slug } from '../../shared/contract/primitives.ts';
import { readJsonFile } from '../sync/json-file.ts';

/**
 * The technicians who may open technician mode on this terminal, each with an RFC 6238 secret (base32, at least
 * 160 bits as RFC 4226 asks), from the install configuration (`KIOSK_TECHNICIANS_FILE`), never from the profile:
 * a profile goes to every terminal of a site, to the API and to whoever audits it, so a secret in it would let
 * anyone who ever read one profile file open every terminal it was sent to.
 */
export const TechniciansFile = z
  .object({
    technicians: z
      .array(z.object({ id: Slug, secret: z.string().regex(/^[A-Z2-7]{32,128}$/, 'must be a base32 secret of at least 160 bits') }).strict())
      .min(1)
      .max(100),
  })
  .strict();

export type CodeCheck = { ok: true; technician: string } | { ok: false };

const PERIOD_SECONDS = 30;

/**
 * Checks six-digit codes offline against every technician's secret (one step of clock drift either way), and never
 * accepts the same code of the same technician twice: a code read over a shoulder is spent once it was used.
 */
export function technicianCodes(file: string, log: (line: string) => void): { check(code: string, now: Date): CodeCheck } | null {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return null;
  }
  if ((mode & 0o077) !== 0) {
    log(`technician mode is off: ${file} is readable by other users; make it mode 0600.`);
    return null;
  }
  const parsed = readJsonFile(file, TechniciansFile);
  if (!parsed) {
    log(`technician mode is off: ${file} is not a technicians file.`);
    return null;
  }
  const technicians = parsed.technicians.map(({ id, secret }) => ({
    id,
    totp: new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: PERIOD_SECONDS, algorithm: 'SHA1' }),
  }));
  const lastUsedStep = new Map<string, number>();
  return {
    check(code, now) {
      for (const { id, totp } of technicians) {
        const delta = totp.validate({ token: code, timestamp: now.getTime(), window: 1 });
        if (delta === null) continue;
        const step = Math.floor(now.getTime() / 1000 / PERIOD_SECONDS) + delta;
        if ((lastUsedStep.get(id) ?? -1) >= step) continue;
        lastUsedStep.set(id, step);
        return { ok: true, technician: id };
      }
      return { ok: false };
    },
  };
}
