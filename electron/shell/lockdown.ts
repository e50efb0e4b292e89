import { app, Menu, type BrowserWindow, type Session } from 'electron';
import { isAppUrl } from './app-protocol.ts';

/**
 * What a public terminal must not allow, whatever the page does: no permissions, no requests beyond the app, no
 * navigation away, no new windows, no webviews, no downloads, no browser shortcuts.
 */
export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAppUrl(details.url) && !details.url.startsWith('data:') && !details.url.startsWith('devtools:') });
  });
  session.on('will-download', (event) => event.preventDefault());
}

export function lockDownContents(): void {
  Menu.setApplicationMenu(null);
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

const allowedShortcuts = new Set(['c', 'v', 'x', 'a', 'z']);

/** Blocks reload, zoom, print, devtools and close shortcuts a keyboard-equipped kiosk would otherwise honour. */
export function blockBrowserShortcuts(window: BrowserWindow): void {
  window.webContents.on('before-input-event', (event, input) => {
    const modified = input.control || input.meta || input.alt;
    if (/^F\d+$/.test(input.key) || (modified && !allowedShortcuts.has(input.key.toLowerCase()))) event.preventDefault();
  });
}
