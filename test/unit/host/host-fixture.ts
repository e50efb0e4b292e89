import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Profile } from '../../../shared/contract/profile.ts';
import { createHost, type Host, type HostOptions } from '../../../electron/host/host.ts';

import { demoProfile, developmentPinPath, writeSignedProfile } from '../../fixtures/signed-profile.ts';

export { demoProfile, demoProfilePath } from '../../fixtures/signed-profile.ts';

/** A real host over a real ledger in a fresh directory, with the demo profile optionally rewritten. */
export async function startTestHost(
  edit: (profile: Profile) => void = () => {},
  options: Partial<HostOptions> = {},
): Promise<Host & { dataDir: string; dispose(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-host-test-'));
  const profile = demoProfile();
  edit(profile);
  const profilePath = path.join(dataDir, 'profile.json');
  writeSignedProfile(profilePath, profile);
  const host = await createHost({ dataDir: path.join(dataDir, 'data'), profilePath, profileKeyPath: developmentPinPath, log: () => {}, ...options });
  let closing: Promise<void> | undefined;
  // Closing twice is harmless: a test that restarts the kiosk closes it, and disposes of its files afterwards.
  const close = () => (closing ??= host.close());
  return {
    ...host,
    dataDir,
    close,
    dispose: async () => {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
