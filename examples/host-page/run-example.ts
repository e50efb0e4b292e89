import path from 'node:path';
import type { ExampleDeps } from './customer-visit.ts';
import { headphoneJack } from './headphone-jack.ts';
import { keepKioskConnected } from './kiosk-link.ts';
import { startHostPage, type PageAction } from './page-server.ts';
import { openPageWindow } from './page-window.ts';

export type ExampleTerminal = { act(action: PageAction): Promise<void>; render(): string };

export type ExampleSettings = {
  /** `atm-host` or `checkin-host`: the first word of every line this process prints. */
  name: string;
  brand: string;
  terminal(deps: ExampleDeps): ExampleTerminal;
};

/**
 * Runs an example host application as its own process: its page on 127.0.0.1 (EXAMPLE_HOST_PORT, default any free
 * port), its connection to the kiosk from the credentials file the kiosk wrote (KIOSK_HOST_API_FILE, default
 * .kiosk-data/host-api.json). Prints the page's address, then one JSON line per opt-in event and outcome. With
 * EXAMPLE_OPEN_WINDOW set (npm start does, with a display) it opens its page in a window of its own.
 */
export async function runExample(settings: ExampleSettings): Promise<void> {
  const credentialsFile = path.resolve(process.env.KIOSK_HOST_API_FILE || path.join(process.env.KIOSK_DATA_DIR || '.kiosk-data', 'host-api.json'));
  const print = (line: object) => console.log(JSON.stringify({ example: settings.name, ...line }));
  const link = keepKioskConnected(credentialsFile, (line) => print({ note: line }));
  let refresh = () => {};
  const timeout = Number(process.env.EXAMPLE_OFFER_TIMEOUT_MS || 0);
  const terminal = settings.terminal({ link, changed: () => refresh(), report: print, offerTimeoutMs: timeout > 0 ? timeout : undefined });
  // The jack is the terminal's, not the transaction's: it stays on every screen and across customers.
  const jack = headphoneJack(link, print);
  const page = await startHostPage({
    brand: settings.brand,
    port: Number(process.env.EXAMPLE_HOST_PORT || 0),
    render: () => `${terminal.render()}${jack.render()}`,
    onAction: (action) => (action.name === 'headphones' ? jack.toggle() : terminal.act(action)),
  });
  refresh = page.refresh;
  console.log(`Example host ${settings.name} (${settings.brand}) on ${page.url}`);
  const closeWindow = process.env.EXAMPLE_OPEN_WINDOW ? openPageWindow(page.url, (line) => print({ note: line })) : async () => {};
  const stop = async () => {
    await closeWindow();
    await link.close();
    await page.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
