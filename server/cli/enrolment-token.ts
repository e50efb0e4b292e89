import { Command } from 'commander';
import { loadServerConfig } from '../config.ts';
import { openStore } from '../store/store.ts';

/**
 * `npm run server:token -- --data DIR [--config FILE]`: prints one new one-time enrolment token (safe while the
 * server runs). It reads the server's configuration the same way the server does (file, CONSENT_API_* variables and
 * DATABASE_URL), so it opens the same database with the same key files; `--data` overrides the data directory.
 */
const { data, config } = new Command()
  .name('server:token')
  .description('Create a one-time device enrolment token in the consent API data directory')
  .option('-d, --data <dir>', 'the server data directory')
  .option('-c, --config <file>', 'the server JSON config file', process.env.CONSENT_API_CONFIG)
  .parse()
  .opts<{ data?: string; config?: string }>();

try {
  const store = await openStore(loadServerConfig(config, { ...process.env, ...(data ? { CONSENT_API_DATA_DIR: data } : {}) }));
  const token = await store.devices.createToken();
  await store.close();
  console.log(token);
} catch (error) {
  console.error(`could not create an enrolment token: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
