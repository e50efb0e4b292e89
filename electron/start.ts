/**
 * The kiosk's start (`npm start` runs it through build/start.mjs, which first rebuilds whatever is stale): the
 * Electron shell when its binary is installed, otherwise the Chromium shell (system Chromium over the loopback
 * bridge). One line says which.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SyncStatus } from '../shared/contract/status.ts';
import type { Dispatch } from './host/dispatch.ts';
import { createHost, SYNC_DISABLED, type Host, type HostOptions, type SyncWorker, type SyncWorkerFactory } from './host/host.ts';
import { startBridge } from './bridge/bridge-server.ts';
import { chromiumExecutable, hasDisplay, isExecutable, launchChromium } from './bridge/launch-chromium.ts';
import { retentionDaysFromEnvironment, syncFromEnvironment } from './host/environment-settings.ts';
import { startLocalConsentApi } from './local-consent-api.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rendererDir = path.join(root, 'out', 'renderer');

/** Where `require('electron')` would point, found without importing electron into Node code. */
function electronBinary(): string | null {
  const pathFile = path.join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return isExecutable(binary) ? binary : null;
}

const dataDirFromEnvironment = () => path.resolve(process.env.KIOSK_DATA_DIR || '.kiosk-data');
const syncSettingsFromEnvironment = () =>
  syncFromEnvironment(process.env, dataDirFromEnvironment(), process.env.npm_package_version ?? '0.0.0-dev');

function hostOptions(sync: SyncWorkerFactory | undefined): HostOptions {
  return {
    dataDir: dataDirFromEnvironment(),
    profilePath: path.resolve(process.env.KIOSK_PROFILE || path.join(root, 'profiles', 'demo.json')),
    integration: {
      port: process.env.KIOSK_INTEGRATION_PORT ? Number(process.env.KIOSK_INTEGRATION_PORT) : undefined,
      token: process.env.KIOSK_INTEGRATION_TOKEN,
    },
    retentionDays: retentionDaysFromEnvironment(process.env),
    sync,
  };
}

/**
 * Without a central API configured (KIOSK_API_URL), start the reference one locally and point the kiosk at it,
 * so captures visibly sync out of the box. Both shells read the settings from the environment. Resolves false
 * (after saying why) when it cannot start: the kiosk then runs with sync disabled.
 */
function startLocalApiUnlessConfigured(): Promise<boolean> | null {
  if (process.env.KIOSK_API_URL || process.env.KIOSK_LOCAL_API === 'off') return null;
  return startLocalConsentApi(process.env).then(
    (api) => {
      process.env.KIOSK_API_URL = api.url;
      process.env.KIOSK_ENROLMENT_TOKEN = api.enrolmentToken;
      console.log(`Consent API (reference, local) on ${api.url}; admin token in ${api.tokenFile}.`);
      process.once('exit', api.stop);
      return true;
    },
    (error: unknown) => {
      console.error(`Sync is off: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    },
  );
}

const waitingForApi: SyncStatus = { state: 'offline', lastSuccessAt: null, lastError: 'The local consent API is starting.' };
const apiDidNotStart: SyncStatus = { ...SYNC_DISABLED, lastError: 'The local consent API did not start.' };

/**
 * The local API takes a second or two to come up; the kiosk does not wait for it. Its sync worker starts once the
 * API listens (and drains whatever was captured meanwhile); until then the footer says sync is offline.
 */
function syncOnceApiListens(apiStarted: Promise<boolean>): SyncWorkerFactory {
  return (ledger, profile) => {
    let worker: SyncWorker | undefined;
    let stopped = false;
    let fallback = waitingForApi;
    const started = apiStarted.then((listening) => {
      fallback = listening ? SYNC_DISABLED : apiDidNotStart;
      if (!stopped && listening) worker = syncSettingsFromEnvironment()?.(ledger, profile);
    });
    return {
      status: () => worker?.status() ?? fallback,
      wake: () => worker?.wake(),
      stop: async () => {
        stopped = true;
        await started;
        await worker?.stop();
      },
    };
  };
}

async function runElectron(binary: string, apiStarted: Promise<boolean> | null): Promise<void> {
  const bundle = spawnSync('npx', ['tsx', path.join(root, 'build', 'bundle-shell.ts')], { cwd: root, stdio: 'inherit' });
  if (bundle.status !== 0) throw new Error('The Electron shell build failed; see the output above.');
  await apiStarted; // the Electron shell reads the API's address from its environment
  const options = hostOptions(undefined);
  console.log(`Shell: Electron (${binary}); data in ${options.dataDir}.`);
  const child = spawn(binary, [root], {
    stdio: 'inherit',
    env: { ...process.env, KIOSK_DATA_DIR: options.dataDir, KIOSK_PROFILE: options.profilePath },
  });
  child.once('exit', (code) => process.exit(code ?? 1));
}

/**
 * The bridge listens and Chromium starts first; the host opens the ledger and loads the profile while Chromium
 * starts (its own process, the other core). Bridge calls that arrive before the host is ready wait for it.
 */
async function runChromium(apiStarted: Promise<boolean> | null): Promise<void> {
  const options = hostOptions(apiStarted ? syncOnceApiListens(apiStarted) : syncSettingsFromEnvironment());
  let hostStarted: (host: Promise<Host>) => void = () => {};
  const openHost = new Promise<Host>((resolve) => {
    hostStarted = resolve;
  });
  const dispatch: Dispatch = async (method: string, input: unknown) => (await openHost).dispatch(method, input);
  const bridge = await startBridge({ dispatch, rendererDir, port: Number(process.env.KIOSK_PORT ?? 0) });
  const display = hasDisplay();
  const browser = display
    ? launchChromium(bridge.launchUrl, (code, lastError) => {
        if (code) console.error(`Chromium exited with status ${code}${lastError ? `: ${lastError}` : ''}`);
        void stop(code ? 1 : 0);
      })
    : null;
  hostStarted(createHost(options));
  const host = await openHost.catch(async (error: unknown) => {
    browser?.kill('SIGTERM');
    await bridge.close();
    throw error;
  });
  if (host.integration) console.log(`Host integration API on ${host.integration.origin} (token in ${options.dataDir}/integration.json).`);
  if (display) {
    console.log(`Shell: Chromium (${chromiumExecutable()}) on ${bridge.origin}; data in ${options.dataDir}.`);
  } else {
    console.log(`Shell: Chromium bridge on ${bridge.origin} (no display; open this URL in Chromium): ${bridge.launchUrl}`);
  }
  let stopping: Promise<never> | undefined;
  function stop(code: number): Promise<never> {
    stopping ??= (async () => {
      // Chromium's throwaway profile is deleted when it exits, so wait for that before leaving.
      const exited = browser && browser.exitCode === null ? new Promise((resolve) => browser.once('exit', resolve)) : null;
      browser?.kill('SIGTERM');
      await exited;
      await bridge.close();
      await openHost.then((host) => host.close(), () => undefined);
      process.exit(code);
    })();
    return stopping;
  }
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
}

try {
  const apiStarted = startLocalApiUnlessConfigured();
  const binary = electronBinary();
  if (binary) await runElectron(binary, apiStarted);
  else await runChromium(apiStarted);
} catch (error) {
  console.error(`Cannot start the kiosk: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
