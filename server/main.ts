import { Command } from 'commander';
import { loadServerConfig } from './config.ts';
import { startServer } from './start-server.ts';
import { KioskFailure } from '../shared/contract/errors.ts';

/** `npm run server [-- --config FILE]`: the reference central consent API. The URL line is for scripts to wait on. */
const program = new Command()
  .name('consent-api')
  .description('Reference central consent API (config from a JSON file and/or CONSENT_API_* environment variables)')
  .option('-c, --config <file>', 'JSON config file', process.env.CONSENT_API_CONFIG)
  .parse();

try {
  const config = loadServerConfig(program.opts<{ config?: string }>().config);
  const server = await startServer(config);
  console.log(`consent API listening on ${server.url}`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  const message = error instanceof KioskFailure ? JSON.stringify(error.toJSON()) : error instanceof Error ? error.message : String(error);
  console.error(`consent API failed to start: ${message}`);
  process.exit(1);
}
