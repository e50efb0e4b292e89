import { ipcMain } from 'electron';
import type { KioskResult } from '../../shared/contract/kiosk-api.ts';
import { kioskMethods, type Dispatch } from '../host/dispatch.ts';
import { isAppUrl } from './app-protocol.ts';

export const IPC_PREFIX = 'kiosk:';
/** How the sandboxed preload learns the method names without importing anything but electron. */
export const METHODS_ARGUMENT = '--kiosk-methods=';

const foreignSender: KioskResult<never> = {
  ok: false,
  error: { code: 'forbidden', message: 'Only the kiosk app may call the kiosk.' },
};

/** One IPC channel per method of `kioskApi`; each answers only the app's own top frame, through `dispatch`. */
export function registerKioskIpc(dispatch: Dispatch): void {
  for (const method of kioskMethods) {
    ipcMain.handle(`${IPC_PREFIX}${method}`, (event, input: unknown) => {
      const frame = event.senderFrame;
      if (!frame || frame !== event.sender.mainFrame || !isAppUrl(frame.url)) return foreignSender;
      return dispatch(method, input);
    });
  }
}
