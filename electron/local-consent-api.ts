import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Business } from '../shared/contract/profile.ts';
import { spawnServer } from '../server/spawn-server.ts';

const DevTokens = z.object({ adminToken: z.string().min(16) });

export type LocalConsentApi = { url: string; enrolmentToken: string; tokenFile: string; stop(): void };

/**
 * `npm start` on a developer's machine runs the reference central consent API as its own process beside the
 * kiosk, so a newcomer sees a consent captured on screen arrive there. A fresh one-time enrolment token each start
 * (used only by a kiosk not yet enrolled); an admin token kept in the API's data dir for querying it. The API is
 * told the businesses of the kiosk's profile, as an operator registers them: it refuses consents for any other; the
 * profile also names the data controller on the receipts its console issues.
 */
export async function startLocalConsentApi(env: NodeJS.ProcessEnv, businesses: Business[], profilePath: string): Promise<LocalConsentApi> {
  const dataDir = path.resolve(env.CONSENT_API_DATA_DIR || '.consent-api-data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tokenFile = path.join(dataDir, 'dev-tokens.json');
  const tokens = existsSync(tokenFile)
    ? DevTokens.parse(JSON.parse(readFileSync(tokenFile, 'utf8')))
    : { adminToken: randomBytes(24).toString('base64url') };
  writeFileSync(tokenFile, `${JSON.stringify(tokens)}\n`, { mode: 0o600 });

  const enrolmentToken = randomBytes(24).toString('base64url');
  const port = Number(env.CONSENT_API_PORT || 8787);
  try {
    const server = await spawnServer(
      { dataDir, port, adminToken: tokens.adminToken, devEnrolmentToken: enrolmentToken, businesses, receiptProfiles: [path.resolve(profilePath)] },
      { background: true },
    );
    return { url: server.url, enrolmentToken, tokenFile, stop: () => server.child.kill('SIGTERM') };
  } catch {
    throw new Error(
      `the local consent API could not listen on 127.0.0.1:${port} (in use?). Set CONSENT_API_PORT, point KIOSK_API_URL at a running API, or KIOSK_LOCAL_API=off.`,
    );
  }
}
