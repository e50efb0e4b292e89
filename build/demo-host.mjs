/**
 * The example host application `npm start` runs beside the kiosk (docs/host-integration.md): the profile's
 * `hostIntegration.demoHost`, or `KIOSK_DEMO_HOST` (`atm-host`, `checkin-host`, or `off`). It is bundled like the
 * host (out/examples/<name>.mjs) and runs as its own process at the lowest CPU priority, so the kiosk's first screen
 * does not wait for it. Plain JavaScript, because it runs before anything is compiled.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestMtime } from './bundle-host.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examplesOut = path.join(root, 'out', 'examples');
export const exampleHosts = ['atm-host', 'checkin-host'];
const sources = ['examples', 'sdk', 'shared', 'build/demo-host.mjs', 'package-lock.json'];

/** Which example to run, or null; an unknown name is refused here rather than by a missing file later. */
export function demoHostToRun(env) {
  const chosen = env.KIOSK_DEMO_HOST || profileDemoHost(path.resolve(env.KIOSK_PROFILE || path.join(root, 'profiles', 'demo.signed.json')));
  if (!chosen || chosen === 'off') return null;
  if (!exampleHosts.includes(chosen)) throw new Error(`KIOSK_DEMO_HOST must be one of ${exampleHosts.join(', ')} or off, not "${chosen}".`);
  return chosen;
}

/** Only this one field is read here; the kiosk itself validates the whole profile and says what is wrong with it. */
function profileDemoHost(profilePath) {
  try {
    const json = JSON.parse(readFileSync(profilePath, 'utf8'));
    // a signed profile (shared/contract/signed-profile.ts) holds the profile in `signed`
    return (json?.signed?.profile ?? json)?.hostIntegration?.demoHost ?? null;
  } catch {
    return null;
  }
}

export function examplesAreStale() {
  const built = Math.min(...exampleHosts.map((name) => newestMtime(path.join(examplesOut, `${name}.mjs`))));
  return built === 0 || Math.max(...sources.map((entry) => newestMtime(path.join(root, entry)))) >= built;
}

export async function bundleExamples() {
  const { build } = await import('esbuild');
  await build({
    entryPoints: Object.fromEntries(exampleHosts.map((name) => [name, path.join(root, 'examples', name, 'main.ts')])),
    outdir: examplesOut,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}

/**
 * Where the two windows go on bare X. Without a window manager nobody can move or raise a window, so the example's
 * window would cover the full-screen kiosk for the whole walk-through. The screen is shared instead, as two
 * screens would stand side by side: the example takes the first third along the longer side (the left of a
 * landscape display, the top of a portrait one), the kiosk the rest. Null where a window manager runs (it lets the
 * person arrange both), under Wayland, without a display, and where xprop or xdpyinfo (x11-utils) cannot tell.
 * Areas are `x,y,WIDTHxHEIGHT`, read by the kiosk as KIOSK_WINDOW_AREA and by the example as EXAMPLE_WINDOW_AREA.
 */
export function bareScreenLayout(env) {
  if (!env.DISPLAY || env.WAYLAND_DISPLAY) return null;
  const run = (command, args) => spawnSync(command, args, { env, encoding: 'utf8', timeout: 3_000 });
  const manager = run('xprop', ['-root', '_NET_SUPPORTING_WM_CHECK']);
  if (manager.status !== 0 || /window id #/.test(manager.stdout)) return null;
  const size = /dimensions:\s+(\d+)x(\d+) pixels/.exec(run('xdpyinfo', []).stdout ?? '');
  if (!size) return null;
  const [width, height] = [Number(size[1]), Number(size[2])];
  if (width >= height) {
    const third = Math.round(width / 3);
    return { example: `0,0,${third}x${height}`, kiosk: `${third},0,${width - third}x${height}`, where: 'on the left' };
  }
  const third = Math.round(height / 3);
  return { example: `0,0,${width}x${third}`, kiosk: `0,${third},${width}x${height - third}`, where: 'at the top' };
}

/**
 * Starts the example next to the kiosk: it reads the kiosk's host API credentials file (written once the kiosk
 * listens; it retries until then) and, with a display, opens its own page in a window of its own.
 */
export function startDemoHost(name, env) {
  const dataDir = path.resolve(env.KIOSK_DATA_DIR || '.kiosk-data');
  const child = spawn(process.execPath, [path.join(examplesOut, `${name}.mjs`)], {
    env: {
      ...env,
      KIOSK_HOST_API_FILE: path.resolve(env.KIOSK_HOST_API_FILE || path.join(dataDir, 'host-api.json')),
      EXAMPLE_OPEN_WINDOW: env.DISPLAY || env.WAYLAND_DISPLAY ? '1' : '',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    os.setPriority(child.pid, 19);
  } catch {
    // not allowed here: it runs at normal priority
  }
  const stop = () => child.kill('SIGTERM');
  process.once('exit', stop);
  return { child, stop };
}
