import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { Profile } from '../../shared/contract/profile.ts';
import { profileContent } from '../../shared/contract/signed-profile.ts';
import { loadServerConfig } from '../config.ts';
import { startServer } from '../start-server.ts';
import { startLocalCluster } from '../store/postgres/local-cluster.ts';

/**
 * `npm run server:postgres`: the reference API on PostgreSQL, for a developer, with nothing but Debian's
 * `postgresql` package — a cluster of its own under `.consent-api-postgres/` (made on first use, on loopback,
 * password in a 0600 file), the API on it, the businesses of the demo profile (KIOSK_PROFILE) registered, and a
 * one-time enrolment token in a 0600 file for `npm start`'s kiosk. Every CONSENT_API_* variable applies; DATABASE_URL
 * is the cluster's. Stops the cluster again on Ctrl-C.
 */
const root = resolve(process.env.CONSENT_API_POSTGRES_DIR || '.consent-api-postgres');
const dataDir = join(root, 'api');
// traversable (not listable) by others: as root, the cluster below it belongs to the postgres user
mkdirSync(root, { recursive: true, mode: 0o711 });
chmodSync(root, 0o711);
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const tokenFile = join(dataDir, 'dev-tokens.json');
const DevTokens = z.object({ adminToken: z.string().min(16) });
const { adminToken } = existsSync(tokenFile) ? DevTokens.parse(JSON.parse(readFileSync(tokenFile, 'utf8'))) : { adminToken: randomBytes(24).toString('base64url') };
writeFileSync(tokenFile, `${JSON.stringify({ adminToken })}\n`, { mode: 0o600 });
const enrolmentTokenFile = join(root, 'enrolment-token');

// npm start's KIOSK_PROFILE is signed; only the profile inside names the businesses (its signature is the kiosk's to check)
const profilePath = resolve(process.env.KIOSK_PROFILE || 'profiles/demo.signed.json');
const profile = Profile.parse(profileContent(JSON.parse(readFileSync(profilePath, 'utf8'))));
const businesses = [...new Map(profile.flows.map((flow) => [flow.business.id, flow.business])).values()];

try {
  const cluster = await startLocalCluster({ dir: join(root, 'cluster') });
  const config = loadServerConfig(process.env.CONSENT_API_CONFIG, { ...process.env, CONSENT_API_DATA_DIR: process.env.CONSENT_API_DATA_DIR || dataDir, DATABASE_URL: cluster.url });
  const server = await startServer({ ...config, adminToken: config.adminToken ?? adminToken, businesses: [...config.businesses, ...businesses], receiptProfiles: [...config.receiptProfiles, profilePath] }).catch(async (error: unknown) => {
    await cluster.stop();
    throw error;
  });
  // issued as server:token issues one: 16 digits with a check digit, typed on a terminal's keypad if need be
  writeFileSync(enrolmentTokenFile, `${await server.store.devices.createToken()}\n`, { mode: 0o600 });
  console.log(`consent API listening on ${server.url} (PostgreSQL ${cluster.displayUrl}, password in ${join(root, 'cluster', 'password')})`);
  // for `npm run console:account` and other tools on the same database: the URL holds the password, so a 0600 file
  const databaseUrlFile = join(root, 'database-url');
  writeFileSync(databaseUrlFile, `${cluster.url}\n`, { mode: 0o600 });
  console.log(`console at ${server.url}/console/; an account for it:`);
  console.log(`  DATABASE_URL="$(cat ${databaseUrlFile})" CONSENT_API_DATA_DIR=${config.dataDir} npm run console:account -- --username NAME --role operator`);
  console.log(`admin token in ${tokenFile}; a one-time enrolment token in ${enrolmentTokenFile}. Point the kiosk at it:`);
  console.log(`  KIOSK_API_URL=${server.url} KIOSK_ENROLMENT_TOKEN="$(cat ${enrolmentTokenFile})" npm start`);
  const stop = (): void => {
    void server.close().then(cluster.stop).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`consent API failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
