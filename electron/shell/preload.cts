/**
 * The sandboxed preload: it may require only 'electron', so the method names of `kioskApi` arrive as a launch
 * argument from the main process (ipc.ts) instead of an import. It exposes exactly `window.kiosk`, nothing else,
 * and passes the page's `online` event to the main process.
 */
import type { KioskApi, KioskResult } from '../../shared/contract/kiosk-api.ts';
// A sandboxed preload is CommonJS: require is the only import form it has.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');

const PREFIX = '--kiosk-methods=';
const methods = (process.argv.find((argument) => argument.startsWith(PREFIX)) ?? PREFIX)
  .slice(PREFIX.length)
  .split(',')
  .filter((method) => /^[A-Za-z]+$/.test(method));

const unreachable: KioskResult<never> = {
  ok: false,
  error: { code: 'storage_unavailable', message: 'The kiosk service is not responding.' },
};

const kiosk = Object.fromEntries(
  methods.map((method) => [
    method,
    (input: unknown) => electron.ipcRenderer.invoke(`kiosk:${method}`, input).catch(() => unreachable),
  ]),
) as KioskApi;

electron.contextBridge.exposeInMainWorld('kiosk', kiosk);

// Chromium knows first when the network is back; the main process wakes the sync worker (ipc.ts ONLINE_CHANNEL).
window.addEventListener('online', () => electron.ipcRenderer.send('kiosk-network:online'));
