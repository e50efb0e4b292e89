/**
 * Everything the shells need beyond what electron/start.ts loads up front: the host, the bridge, sync settings and
 * the local reference consent API.
 */
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KioskFailure } from '../shared/contract/errors.ts';
import type { Business } from '../shared/contract/profile.ts';
import type { SyncStatus } from '../shared/contract/status.ts';
import { couldNotStart, type Dispatch } from './host/dispatch.ts';
import { createHost, HostStartFailure, SYNC_DISABLED, type Host, type HostOptions, type SyncWorker, type SyncWorkerFactory } from './host/host.ts';
import { startDegradedHostApi } from './integration/degraded-host-api.ts';
import type { HostApiServer } from './integration/host-api-server.ts';
import type { LoopbackListener } from './host/loopback-listener.ts';
import { startBridge } from './bridge/bridge-server.ts';
import { chromiumExecutable, type RunningChromium } from './bridge/launch-chromium.ts';
import { outOfServiceReason, switchableListener } from './bridge/out-of-service.ts';
import { hostApiFromEnvironment, retentionDaysFromEnvironment, syncFromEnvironment, techniciansFileFromEnvironment } from './host/environment-settings.ts';
import { loadProfile, profileBusinesses } from './host/profile-file.ts';
import { startLocalConsentApi } from './local-consent-api.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rendererDir = path.join(root, 'out', 'renderer');

const dataDirFromEnvironment = () => path.resolve(process.env.KIOSK_DATA_DIR || '.kiosk-data');
const syncSettingsFromEnvironment = () =>
  syncFromEnvironment(process.env, dataDirFromEnvironment(), process.env.npm_package_version ?? '0.0.0-dev');

function hostOptions(sync: SyncWorkerFactory | undefined): HostOptions {
  return {
    dataDir: dataDirFromEnvironment(),
    profilePath: path.resolve(process.env.KIOSK_PROFILE || path.join(root, 'profiles', 'demo.signed.json')),
    profileKeyPath: path.resolve(process.env.KIOSK_PROFILE_KEY || path.join(root, 'profiles', 'development-provisioning-key.pub.pem')),
    hostApi: hostApiFromEnvironment(process.env),
    retentionDays: retentionDaysFromEnvironment(process.env),
    technician: { file: techniciansFileFromEnvironment(process.env) },
    appVersion: process.env.npm_package_version ?? '0.0.0-dev',
    sync,
  };
}

/**
 * Without a central API configured (KIOSK_API_URL), start the reference one locally and point the kiosk at it,
 * so captures visibly sync out of the box. Both shells read the settings from the environment. Resolves false
 * (after saying why) when it cannot start: the kiosk then runs with sync disabled. Starts once `startWhen` settles.
 */
function startLocalApiUnlessConfigured(startWhen: Promise<unknown> = Promise.resolve()): Promise<boolean> | null {
  if (process.env.KIOSK_API_URL || process.env.KIOSK_LOCAL_API === 'off') return null;
  const { profilePath } = hostOptions(undefined);
  return startWhen.then(() => startLocalConsentApi(process.env, businessesOfProfile(profilePath), profilePath)).then(
    (api) => {
      process.env.KIOSK_API_URL = api.url;
      process.env.KIOSK_ENROLMENT_TOKEN = api.enrolmentToken;
      console.log(`Consent API (reference, local) on ${api.url}; admin token in ${api.tokenFile}; console at ${api.url}/console/.`);
      process.once('exit', api.stop);
      return true;
    },
    (error: unknown) => {
      console.error(`Sync is off: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    },
  );
}

/** The businesses the kiosk's profile names; none when it does not load (the host then says why). */
function businessesOfProfile(profilePath: string): Business[] {
  try {
    return profileBusinesses(loadProfile(profilePath));
  } catch {
    return [];
  }
}

/** However slow the page, the local API does not wait longer than this for it. */
const LOCAL_API_WAITS_FOR_PAGE_MS = 5_000;

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
      wake: (reason) => worker?.wake(reason),
      enrol: async (token) => {
        if (!worker?.enrol) throw new KioskFailure('not_found', 'The local consent API has not started yet; try again in a moment.');
        await worker.enrol(token);
      },
      get apiUrl() {
        return worker?.apiUrl;
      },
      stop: async () => {
        stopped = true;
        await started;
        await worker?.stop();
      },
    };
  };
}

export async function runElectron(binary: string): Promise<void> {
  const apiStarted = startLocalApiUnlessConfigured();
  const bundle = spawnSync('npx', ['tsx', path.join(root, 'build', 'bundle-shell.ts')], { cwd: root, stdio: 'inherit' });
  if (bundle.status !== 0) throw new Error('The Electron shell build failed; see the output above.');
  await apiStarted; // the Electron shell reads the API's address from its environment
  const options = hostOptions(undefined);
  console.log(`Shell: Electron (${binary}); data in ${options.dataDir}.`);
  const child = spawn(binary, [root], {
    stdio: 'inherit',
    env: { ...process.env, KIOSK_DATA_DIR: options.dataDir, KIOSK_PROFILE: options.profilePath, KIOSK_PROFILE_KEY: options.profileKeyPath },
  });
  child.once('exit', (code) => process.exit(code ?? 1));
}

export type EarlyChromium = { listener: LoopbackListener; launchCode: string; browser: RunningChromium | null };

/**
 * Chromium is already starting (electron/start.ts) on the listener's address; the bridge now answers there, and the
 * host opens the ledger and loads the profile meanwhile. Bridge calls that arrive before the host is ready wait.
 */
export async function runChromium({ listener, launchCode, browser }: EarlyChromium): Promise<void> {
  let pageCalled: () => void = () => {};
  const pageIsUp = new Promise<void>((resolve) => {
    pageCalled = resolve;
  });
  // Starting the reference API (node, its database, verify threads) takes more CPU than the kiosk's own host: on a
  // two-core PC it delayed the first screen by about 0.3 s. Sync does not need it that soon, so it waits until
  // the page has made its first bridge call.
  const apiMayStart = browser ? Promise.race([pageIsUp, delay(LOCAL_API_WAITS_FOR_PAGE_MS)]) : undefined;
  const apiStarted = startLocalApiUnlessConfigured(apiMayStart);
  const options = hostOptions(apiStarted ? syncOnceApiListens(apiStarted) : syncSettingsFromEnvironment());
  let hostStarted: (host: Promise<Host>) => void = () => {};
  const openHost = new Promise<Host>((resolve) => {
    hostStarted = resolve;
  });
  const dispatch: Dispatch = async (method: string, input: unknown) => {
    pageCalled();
    const host = await openHost.catch(() => null);
    // A kiosk that could not start answers its page with the reason: the page says it cannot start right now.
    return (host?.dispatch ?? couldNotStart)(method, input);
  };
  const answering = switchableListener(listener);
  const bridge = await startBridge({
    dispatch,
    rendererDir,
    listener: answering,
    launchCode,
    // Whoever raced the page for its code has a revoked session; the service starts over with a new code.
    onLaunchCodeReused: () => {
      console.error('Stopping: the launch code was used by another process. The kiosk must be started again.');
      void stop(1);
    },
  });
  let stopping: Promise<never> | undefined;
  let degraded: HostApiServer | undefined;
  function stop(code: number): Promise<never> {
    stopping ??= (async () => {
      // Chromium's throwaway profile is deleted when it exits, so wait for that before leaving.
      browser?.process.kill('SIGTERM');
      await browser?.exited;
      await bridge.close();
      await openHost.then((host) => host.close(), () => undefined);
      await degraded?.close();
      process.exit(code);
    })();
    return stopping;
  }
  void browser?.exited.then(({ code, lastError }) => {
    if (code) console.error(`Chromium exited with status ${code}${lastError ? `: ${lastError}` : ''}`);
    void stop(code ? 1 : 0);
  });
  hostStarted(createHost(options));
  const host = await openHost.catch(async (error: unknown) => {
    if (!(error instanceof HostStartFailure)) {
      browser?.process.kill('SIGTERM');
      await bridge.close();
      throw error;
    }
    // Restarting cannot fix a damaged ledger, a bad profile or a key vault that cannot be opened (under systemd it
    // would only loop): the screen says in one sentence what a technician must fix, and the terminal's application
    // still hears why there is no opt-in step, from the host API answering degraded.
    const outOfService =
      outOfServiceReason(error.cause, options.dataDir) ?? `${error.message.replace(/\.$/, '')}, so this kiosk records nothing until a technician fixes it.`;
    answering.showOutOfService(outOfService);
    console.error(`Out of service: ${outOfService}`);
    degraded = await startDegradedHostApi({ dataDir: options.dataDir, reason: error.reason, ...options.hostApi });
    console.log(`Host Integration API on ${degraded.url}, degraded (${error.reason}): every offer fails at once.`);
    return null;
  });
  // The page's first call, the launch code's exchange, carries the profile; the first check of a profile against the
  // contract compiles zod's parsers for it (≈ 6 ms on a quiet 2-core PC, more beside Chromium's start), so that is
  // done now, while the host waits for the page's first request, and not on the way to the first screen.
  if (host && browser) void host.dispatch('getProfile', {});
  if (host) console.log(`Host Integration API on ${host.hostApi.url} (address and secret for the host application in ${host.hostApi.credentialsFile}).`);
  if (browser) {
    console.log(`Shell: Chromium (${chromiumExecutable()}) on ${bridge.origin}; data in ${options.dataDir}.`);
  } else {
    // Printed, the launch code would end up in terminal scroll-back and CI logs: it goes to a file of the kiosk user's.
    const launchFile = path.join(options.dataDir, 'launch-url');
    rmSync(launchFile, { force: true });
    writeFileSync(launchFile, `${bridge.issueLaunchUrl()}\n`, { mode: 0o600 });
    console.log(`Shell: Chromium bridge on ${bridge.origin} (no display; open the one-time URL in ${launchFile} in Chromium).`);
  }
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
}
