/**
 * `npm start`: builds what is missing, then runs the kiosk in the Electron shell when its binary is installed,
 * otherwise in the Chromium shell (system Chromium over the loopback bridge). One line says which.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type HostOptions } from './host/host.ts';
import { startBridge } from './bridge/bridge-server.ts';
import { hasDisplay, isExecutable, launchChromium } from './bridge/launch-chromium.ts';
import { syncFromEnvironment } from './host/sync-from-environment.ts';
import { startLocalConsentApi } from './local-consent-api.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rendererDir = path.join(root, 'out', 'renderer');

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

function ensureRendererBuilt(): void {
  const built = newestMtime(path.join(rendererDir, 'index.html'));
  const sources = Math.max(...['renderer', 'shared', 'vite.config.ts'].map((entry) => newestMtime(path.join(root, entry))));
  if (built > sources) return;
  console.log(built ? 'Renderer sources changed; rebuilding the renderer…' : 'Building the renderer…');
  const build = spawnSync('npm', ['run', '--silent', 'build:renderer'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('The renderer build failed; see the output above.');
}

/** Where `require('electron')` would point, found without importing electron into Node code. */
function electronBinary(): string | null {
  const pathFile = path.join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return isExecutable(binary) ? binary : null;
}

function hostOptions(): HostOptions {
  const dataDir = path.resolve(process.env.KIOSK_DATA_DIR || '.kiosk-data');
  return {
    dataDir,
    profilePath: path.resolve(process.env.KIOSK_PROFILE || path.join(root, 'profiles', 'demo.json')),
    integration: {
      port: process.env.KIOSK_INTEGRATION_PORT ? Number(process.env.KIOSK_INTEGRATION_PORT) : undefined,
      token: process.env.KIOSK_INTEGRATION_TOKEN,
    },
    sync: syncFromEnvironment(process.env, dataDir, process.env.npm_package_version ?? '0.0.0-dev'),
  };
}

/**
 * Without a central API configured (KIOSK_API_URL), start the reference one locally and point the kiosk at it,
 * so captures visibly sync out of the box. Both shells read the settings from the environment.
 */
async function startLocalApiUnlessConfigured(): Promise<void> {
  if (process.env.KIOSK_API_URL || process.env.KIOSK_LOCAL_API === 'off') return;
  const api = await startLocalConsentApi(process.env);
  process.env.KIOSK_API_URL = api.url;
  process.env.KIOSK_ENROLMENT_TOKEN = api.enrolmentToken;
  console.log(`Consent API (reference, local) on ${api.url}; admin token in ${api.tokenFile}.`);
  process.once('exit', api.stop);
}

function runElectron(binary: string): void {
  const bundle = spawnSync('npx', ['tsx', path.join(root, 'build', 'bundle-shell.ts')], { cwd: root, stdio: 'inherit' });
  if (bundle.status !== 0) throw new Error('The Electron shell build failed; see the output above.');
  const options = hostOptions();
  console.log(`Shell: Electron (${binary}); data in ${options.dataDir}.`);
  const child = spawn(binary, [root], {
    stdio: 'inherit',
    env: { ...process.env, KIOSK_DATA_DIR: options.dataDir, KIOSK_PROFILE: options.profilePath },
  });
  child.once('exit', (code) => process.exit(code ?? 1));
}

async function runChromium(): Promise<void> {
  const options = hostOptions();
  const host = await createHost(options);
  const bridge = await startBridge({ dispatch: host.dispatch, rendererDir, port: Number(process.env.KIOSK_PORT ?? 0) });
  if (host.integration) console.log(`Host integration API on ${host.integration.origin} (token in ${options.dataDir}/integration.json).`);
  const display = hasDisplay();
  if (display) {
    console.log(`Shell: Chromium (${process.env.KIOSK_CHROMIUM ?? '/usr/bin/chromium'}) on ${bridge.origin}; data in ${options.dataDir}.`);
  } else {
    console.log(`Shell: Chromium bridge on ${bridge.origin} (no display; open this URL in Chromium): ${bridge.launchUrl}`);
  }
  const browser = display
    ? launchChromium(bridge.launchUrl, (code, lastError) => {
        if (code) console.error(`Chromium exited with status ${code}${lastError ? `: ${lastError}` : ''}`);
        void stop(code ? 1 : 0);
      })
    : null;
  async function stop(code: number): Promise<never> {
    browser?.kill('SIGTERM');
    await bridge.close();
    await host.close();
    process.exit(code);
  }
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
}

try {
  ensureRendererBuilt();
  await startLocalApiUnlessConfigured();
  const binary = electronBinary();
  if (binary) runElectron(binary);
  else await runChromium();
} catch (error) {
  console.error(`Cannot start the kiosk: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
