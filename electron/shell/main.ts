import path from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import { kioskMethods } from '../host/dispatch.ts';
import { createHost, type Host } from '../host/host.ts';
import { hostApiFromEnvironment, retentionDaysFromEnvironment, syncFromEnvironment } from '../host/environment-settings.ts';
import { APP_ENTRY, registerAppScheme, serveRenderer } from './app-protocol.ts';
import { followSteps, windowFor } from './display-model.ts';
import { METHODS_ARGUMENT, registerKioskIpc } from './ipc.ts';
import { blockBrowserShortcuts, lockDownContents, lockDownSession } from './lockdown.ts';
import { openSafeStorageVault } from './safe-storage-vault.ts';

registerAppScheme();
lockDownContents();

async function start(): Promise<void> {
  await app.whenReady();
  const root = app.getAppPath();
  const dataDir = process.env.KIOSK_DATA_DIR || path.join(app.getPath('userData'), 'kiosk-data');
  let host: Host;
  try {
    host = await createHost({
      dataDir,
      profilePath: process.env.KIOSK_PROFILE || path.join(root, 'profiles', 'demo.json'),
      vault: openSafeStorageVault(dataDir),
      sync: syncFromEnvironment(process.env, dataDir, app.getVersion()),
      retentionDays: retentionDaysFromEnvironment(process.env),
      hostApi: hostApiFromEnvironment(process.env),
    });
  } catch (error) {
    console.error(`Cannot start the kiosk: ${error instanceof Error ? error.message : String(error)}`);
    app.exit(1);
    return;
  }
  lockDownSession(session.defaultSession);
  serveRenderer(path.join(root, 'out', 'renderer'));
  registerKioskIpc(host.dispatch, host.networkIsUp);

  const displayModel = host.profile.hostIntegration.displayModel;
  const window = new BrowserWindow({
    ...windowFor(displayModel),
    autoHideMenuBar: true,
    webPreferences: {
      preload: path.join(root, 'out', 'shell', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: !app.isPackaged,
      additionalArguments: [`${METHODS_ARGUMENT}${kioskMethods.join(',')}`],
    },
  });
  blockBrowserShortcuts(window);
  // A crashed or hung page must not leave a dead screen on a public terminal: start the app over.
  window.webContents.on('render-process-gone', () => void window.loadURL(APP_ENTRY));
  window.on('unresponsive', () => window.webContents.forcefullyCrashRenderer());
  followSteps(window, displayModel, host.onDisplay);
  app.on('before-quit', () => void host.close());
  await window.loadURL(APP_ENTRY);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('window-all-closed', () => app.quit());
  void start();
}
