import path from 'node:path';
import { z } from 'zod';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { syncWorkerFactory } from '../sync/sync-worker.ts';
import type { SyncWorkerFactory } from './host.ts';

/**
 * The settings both shells read from the environment, so a technician configures a terminal one way: the central
 * consent API (KIOSK_API_URL, and for a first enrolment the one-time KIOSK_ENROLMENT_TOKEN; unset: sync is off)
 * how long personal data of synced events is kept (KIOSK_RETENTION_DAYS, default 30), and where the Host
 * Integration API listens (KIOSK_HOST_API_PORT) and writes its address and secret (KIOSK_HOST_API_FILE).
 */
const KioskEnvironment = z.object({
  KIOSK_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  KIOSK_ENROLMENT_TOKEN: z.string().min(16).max(128).optional(),
  KIOSK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
  KIOSK_HOST_API_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  KIOSK_HOST_API_FILE: z.string().min(1).max(4096).optional(),
});
type KioskEnvironment = z.infer<typeof KioskEnvironment>;

function readEnvironment(env: NodeJS.ProcessEnv): KioskEnvironment {
  const present = Object.fromEntries(Object.keys(KioskEnvironment.shape).map((name) => [name, env[name] || undefined]));
  return parseOrFail(KioskEnvironment, present, 'kiosk settings');
}

export function syncFromEnvironment(env: NodeJS.ProcessEnv, dataDir: string, appVersion: string): SyncWorkerFactory | undefined {
  const settings = readEnvironment(env);
  const apiUrl = settings.KIOSK_API_URL;
  if (!apiUrl) return undefined;
  return (ledger, profile) =>
    syncWorkerFactory({
      apiUrl,
      dataDir,
      appVersion,
      enrolmentToken: settings.KIOSK_ENROLMENT_TOKEN,
      profileVersion: () => profile.version,
    })(ledger);
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
