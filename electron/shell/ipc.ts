import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import type { KioskResult } from '../../shared/contract/kiosk-api.ts';
import { kioskMethods, type Dispatch } from '../host/dispatch.ts';
import { isAppUrl } from './app-protocol.ts';

export const IPC_PREFIX = 'kiosk:';
/** How the sandboxed preload learns the method names without importing anything but electron. */
export const METHODS_ARGUMENT = '--kiosk-methods=';
/** The page's `online` event, passed on by the preload; it carries nothing. */
export const ONLINE_CHANNEL = 'kiosk-network:online';

const foreignSender: KioskResult<never> = {
  ok: false,
  error: { code: 'forbidden', message: 'Only the kiosk app may call the kiosk.' },
};

function fromAppTopFrame(event: IpcMainEvent | IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return Boolean(frame && frame === event.sender.mainFrame && isAppUrl(frame.url));
}

/**
 * One IPC channel per method of `kioskApi`; each answers only the app's own top frame, through `dispatch`. Plus
 * the network-up signal, which wakes the sync worker (Chromium's own view of the network, sooner than its probe).
 */
export function registerKioskIpc(dispatch: Dispatch, onOnline: () => void): void {
  for (const method of kioskMethods) {
    ipcMain.handle(`${IPC_PREFIX}${method}`, (event, input: unknown) => (fromAppTopFrame(event) ? dispatch(method, input) : foreignSender));
  }
  ipcMain.on(ONLINE_CHANNEL, (event) => {
    if (fromAppTopFrame(event)) onOnline();
  });
}
