import { Command } from 'commander';
import { parseServerConfig } from '../config.ts';
import { openStore } from '../store/store.ts';

/** `npm run server:token -- --data DIR`: prints one new one-time enrolment token (safe while the server runs). */
const { data } = new Command()
  .name('server:token')
  .description('Create a one-time device enrolment token in the consent API data directory')
  .requiredOption('-d, --data <dir>', 'the server data directory')
  .parse()
  .opts<{ data: string }>();

try {
  const store = openStore(parseServerConfig({ dataDir: data }));
  const token = store.devices.createToken();
  store.close();
  console.log(token);
} catch (error) {
  console.error(`could not create an enrolment token: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
