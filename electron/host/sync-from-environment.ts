import { z } from 'zod';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { syncWorkerFactory } from '../sync/sync-worker.ts';
import type { SyncWorkerFactory } from './host.ts';

/**
 * Both shells learn where the central consent API is the same way, so a technician configures one thing:
 * KIOSK_API_URL, and for a terminal's first enrolment the one-time KIOSK_ENROLMENT_TOKEN. Unset: sync is disabled.
 */
const SyncEnvironment = z.object({
  KIOSK_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  KIOSK_ENROLMENT_TOKEN: z.string().min(16).max(128).optional(),
});

export function syncFromEnvironment(env: NodeJS.ProcessEnv, dataDir: string, appVersion: string): SyncWorkerFactory | undefined {
  const settings = parseOrFail(
    SyncEnvironment,
    { KIOSK_API_URL: env.KIOSK_API_URL || undefined, KIOSK_ENROLMENT_TOKEN: env.KIOSK_ENROLMENT_TOKEN || undefined },
    'sync settings',
  );
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
