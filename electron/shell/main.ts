import path from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import { couldNotStart, kioskMethods } from '../host/dispatch.ts';
import { createHost, HostStartFailure, type Host } from '../host/host.ts';
import { startDegradedHostApi } from '../integration/degraded-host-api.ts';
import { hostApiFromEnvironment, retentionDaysFromEnvironment, syncFromEnvironment, techniciansFileFromEnvironment } from '../host/environment-settings.ts';
import { APP_ENTRY, registerAppScheme, serveRenderer } from './app-protocol.ts';
import { followSteps, windowFor } from './display-model.ts';
import { METHODS_ARGUMENT, registerKioskIpc } from './ipc.ts';
import { blockBrowserShortcuts, lockDownContents, lockDownSession } from './lockdown.ts';
import { openSafeStorageVault } from './safe-storage-vault.ts';

/** A keychain that cannot seal the device keys is a reason the host application hears (noKey), not a crash. */
function openVaultOrSayWhy(dataDir: string) {
  try {
    return openSafeStorageVault(dataDir);
  } catch (error) {
    throw new HostStartFailure('noKey', error);
  }
}

registerAppScheme();
lockDownContents();

async function start(): Promise<void> {
  await app.whenReady();
  const root = app.getAppPath();
  const dataDir = process.env.KIOSK_DATA_DIR || path.join(app.getPath('userData'), 'kiosk-data');
  let host: Host | null = null;
  try {
    host = await createHost({
      dataDir,
      profilePath: process.env.KIOSK_PROFILE || path.join(root, 'profiles', 'demo.signed.json'),
      profileKeyPath: process.env.KIOSK_PROFILE_KEY || path.join(root, 'profiles', 'development-provisioning-key.pub.pem'),
      vault: openVaultOrSayWhy(dataDir),
      sync: syncFromEnvironment(process.env, dataDir, app.getVersion()),
      retentionDays: retentionDaysFromEnvironment(process.env),
      hostApi: hostApiFromEnvironment(process.env),
      technician: {
        file: techniciansFileFromEnvironment(process.env),
        restart: () => {
          app.relaunch();
          app.exit(0);
        },
      },
      appVersion: app.getVersion(),
    });
  } catch (error) {
    console.error(`Cannot start the kiosk: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof HostStartFailure)) {
      app.exit(1);
      return;
    }
    // The terminal's application still hears why (Common.Status degraded); the screen says the kiosk cannot start.
    const degraded = await startDegradedHostApi({ dataDir, reason: error.reason, ...hostApiFromEnvironment(process.env) });
    app.on('before-quit', () => void degraded.close());
  }
  lockDownSession(session.defaultSession);
  serveRenderer(path.join(root, 'out', 'renderer'));
  registerKioskIpc(host?.dispatch ?? couldNotStart, () => host?.networkIsUp());

  const displayModel = host?.profile.hostIntegration.displayModel ?? 'transfer';
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
  if (host) {
    const running = host;
    followSteps(window, displayModel, running.onDisplay);
    app.on('before-quit', () => void running.close());
  }
  await window.loadURL(APP_ENTRY);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('window-all-closed', () => app.quit());
  void start();
}
