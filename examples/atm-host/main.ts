/** The demo bank's ATM application: `npm run example:atm` (npm start runs it beside the kiosk by default). */
import { runExample } from '../host-page/run-example.ts';
import { atmTerminal } from './atm-terminal.ts';

await runExample({ name: 'atm-host', brand: 'Sakura Bank ATM', terminal: atmTerminal });
