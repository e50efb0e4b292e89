import path from 'node:path';
import { z } from 'zod';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { Placement } from '../../shared/contract/primitives.ts';
import type { Profile } from '../../shared/contract/profile.ts';
import { syncWorkerFactory } from '../sync/sync-worker.ts';
import type { SyncWorkerFactory } from './host.ts';

/**
 * The settings both shells read from the environment, so a technician configures a terminal one way: the central
 * consent API (KIOSK_API_URL, and for a first enrolment the one-time KIOSK_ENROLMENT_TOKEN; unset: sync is off),
 * how long personal data of synced events is kept (KIOSK_RETENTION_DAYS, default 30), this terminal's own id
 * (KIOSK_TERMINAL_ID, replacing the profile placement's `terminalId`: one profile serves a whole site), and where the
 * Host Integration API listens (KIOSK_HOST_API_PORT) and writes its address and secret (KIOSK_HOST_API_FILE).
 */
const KioskEnvironment = z.object({
  KIOSK_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  KIOSK_ENROLMENT_TOKEN: z.string().min(16).max(128).optional(),
  KIOSK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
  KIOSK_TERMINAL_ID: Placement.shape.terminalId.optional(),
  KIOSK_HOST_API_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  KIOSK_HOST_API_FILE: z.string().min(1).max(4096).optional(),
  KIOSK_TECHNICIANS_FILE: z.string().min(1).max(4096).optional(),
});
type KioskEnvironment = z.infer<typeof KioskEnvironment>;

function readEnvironment(env: NodeJS.ProcessEnv): KioskEnvironment {
  const present = Object.fromEntries(Object.keys(KioskEnvironment.shape).map((name) => [name, env[name] || undefined]));
  return parseOrFail(KioskEnvironment, present, 'kiosk settings');
}

/** Where this terminal stands: the profile's placement, with the terminal id from the environment when set. */
export function placementOf(profile: Profile, env: NodeJS.ProcessEnv): Placement | undefined {
  const terminalId = readEnvironment(env).KIOSK_TERMINAL_ID;
  if (!profile.placement) return undefined;
  return terminalId ? { ...profile.placement, terminalId } : profile.placement;
}

export function syncFromEnvironment(env: NodeJS.ProcessEnv, dataDir: string, appVersion: string): SyncWorkerFactory | undefined {
  const settings = readEnvironment(env);
  const apiUrl = settings.KIOSK_API_URL;
  if (!apiUrl) return undefined;
  return (ledger, profile) => {
    const worker = syncWorkerFactory({
      apiUrl,
      dataDir,
      appVersion,
      enrolmentToken: settings.KIOSK_ENROLMENT_TOKEN,
      profileVersion: () => profile.profile().version,
      profileInForce: profile.version,
      offerProfile: profile.offer,
      placement: () => placementOf(profile.profile(), env),
    })(ledger);
    return { ...worker, apiUrl };
  };
}

/** Who may open technician mode (docs/technician.md): KIOSK_TECHNICIANS_FILE, else `<dataDir>/technicians.json`. */
export function techniciansFileFromEnvironment(env: NodeJS.ProcessEnv): string | undefined {
  const file = readEnvironment(env).KIOSK_TECHNICIANS_FILE;
  return file ? path.resolve(file) : undefined;
}

export function retentionDaysFromEnvironment(env: NodeJS.ProcessEnv): number | undefined {
  return readEnvironment(env).KIOSK_RETENTION_DAYS;
}

export function hostApiFromEnvironment(env: NodeJS.ProcessEnv): { port?: number; credentialsFile?: string } {
  const settings = readEnvironment(env);
  return {
    port: settings.KIOSK_HOST_API_PORT,
    credentialsFile: settings.KIOSK_HOST_API_FILE ? path.resolve(settings.KIOSK_HOST_API_FILE) : undefined,
  };
}
