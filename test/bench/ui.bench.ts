/**
 * `npm run bench:ui`: how fast the Chromium shell gets a person to the opt-in, and how much JavaScript it ships.
 *
 * Each cold start runs the kiosk the way `npm start` does (npm's own start-up is not counted): spawns the host with
 * a fresh data directory (new device key, new ledger) on a virtual display (Xvfb), and the host launches system
 * Chromium itself on the launch URL, with a fresh profile. Nothing is attached while it starts: the bench waits
 * (`UI_BENCH_SETTLE_MS` from the spawn, default 4000), then connects through Chromium's DevTools port (a port of
 * Chromium's own choosing, `--remote-debugging-port=0`, read from its profile's DevToolsActivePort) and reads what
 * the page itself recorded, on its own clock
 * (Resource Timing; Element Timing for the Start button's first paint). Every phase is in ms from the spawn:
 *   - host ready: the host prints its "Shell:" line (profile loaded, ledger open, bridge listening, Chromium spawned);
 *   - navigation: Chromium is up and starts loading the kiosk page (the page's time origin);
 *   - app script: the renderer's first chunk has arrived;
 *   - profile: the renderer asks the bridge for the profile / has it (with the session's opening since it carries it);
 *   - first interactive: the attract screen's main button ("Stop WhatsApp messages") is first painted
 *     (`elementtiming="kiosk-ready"`; React has attached its handlers before it paints).
 * The opt-in step itself comes when a host application offers it: `npm run bench:host` times that.
 * Variants run interleaved in one session, so the machine's load hits them alike (`UI_BENCH_VARIANTS`, comma-separated;
 * default `bundle,tsx,bundle+api,bundle+host,chromium-alone`): `bundle` is `npm start` (node build/start.mjs: prebuilt
 * host, local consent API and example host off), `tsx` transpiles electron/start.ts on the fly, a `+api` suffix on any
 * kiosk variant also starts the local reference consent API and `+host` the profile's example host application
 * (with its own window), as `npm start` does out of the box (neither must delay the kiosk), and
 * `chromium-alone` is the floor: the same Chromium with the same flags on a static page holding one Start button,
 * timed from Chromium's spawn. `UI_BENCH_RUNS` cold starts per variant (default 5).
 * `UI_BENCH_BASELINE=DIR[,DIR…]` adds a variant `baseline:<dir name>` per directory: `npm start` of another checkout
 * (e.g. a `git worktree` of an earlier commit, with its renderer built), to compare a change side by side.
 * Renderer size: every .js file in out/renderer plus the bridge's /kiosk-bridge.js, each gzipped at level 9; the
 * first-screen figure leaves out the chunks loaded only after the first screen.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from '@playwright/test';
import { bridgeClientScript } from '../../electron/bridge/bridge-client-bundle.ts';
import { connectThroughActivePort, kioskPage } from '../fixtures/kiosk-window.ts';
import { virtualDisplay } from '../fixtures/virtual-display.ts';
import { launchChromium } from '../../electron/bridge/launch-chromium.ts';

const RUNS = Number(process.env.UI_BENCH_RUNS ?? 5);
const SETTLE_MS = Number(process.env.UI_BENCH_SETTLE_MS ?? 4000);
const baselines = (process.env.UI_BENCH_BASELINE ?? '').split(',').filter(Boolean);
const BARE_CHROMIUM = 'chromium-alone';
const VARIANTS = (process.env.UI_BENCH_VARIANTS ?? ['bundle', 'tsx', 'bundle+api', 'bundle+host', BARE_CHROMIUM, ...baselines.map((dir) => `baseline:${path.basename(dir)}`)].join(',')).split(',').filter(Boolean);
const rendererDir = path.resolve('out/renderer');
const assetsDir = path.join(rendererDir, 'assets');

const commands: Record<string, string[]> = {
  bundle: [process.execPath, 'build/start.mjs'],
  tsx: [path.resolve('node_modules/.bin/tsx'), 'electron/start.ts'],
};
for (const checkout of baselines) commands[`baseline:${path.basename(checkout)}`] = [process.execPath, path.resolve(checkout, 'build/start.mjs')];

const kioskCommand = (variant: string) => variant.replace(/\+(api|host)$/, '');

type Phases = {
  hostReady: number;
  navigation: number;
  appScript: number;
  profileRequested: number;
  profileReceived: number;
  interactive: number;
};

const epochNow = () => performance.timeOrigin + performance.now();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return Math.round(sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2);
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) resolve(epochNow());
    });
    child.once('exit', (code) => reject(new Error(`the host exited (${code}) before it was ready:\n${output}`)));
  });
}

type ElementTiming = { identifier: string; renderTime: number; loadTime: number };
type ProbedObserver = new (callback: (list: { getEntries(): unknown[] }, observer: { disconnect(): void }) => void) => {
  observe(options: { type: string; buffered: boolean }): void;
};

/** The page-clock time at which the element marked `elementtiming="<identifier>"` was first painted. */
async function paintedAt(page: Page, identifier: string): Promise<number> {
  return page.evaluate(
    (wanted) =>
      new Promise<number>((resolve) => {
        const { PerformanceObserver } = globalThis as unknown as { PerformanceObserver: ProbedObserver };
        new PerformanceObserver((list, observer) => {
          const entry = (list.getEntries() as ElementTiming[]).find((candidate) => candidate.identifier === wanted);
          if (!entry) return;
          observer.disconnect();
          resolve(entry.renderTime || entry.loadTime);
        }).observe({ type: 'element', buffered: true });
      }),
    identifier,
  );
}

type PageTiming = { origin: number; resources: Array<{ name: string; start: number; end: number }> };

/** `profileDir` is where Chromium writes its DevTools port (null until it exists). */
type Launched = { started: number; profileDir: () => string | null; hostReady: Promise<number> | null; stop(): Promise<void> };

/**
 * Chromium is told to pick its DevTools port itself (0): a port picked here first and handed over could be taken by
 * another process before Chromium binds it, and then that process answered the bench (a 404 on /json/version/).
 */
const devtoolsFlags = `--remote-debugging-port=0 --no-sandbox ${process.env.KIOSK_CHROMIUM_FLAGS ?? ''}`;

/**
 * The profile of the kiosk's Chromium, which the host made under its own temporary directory: the
 * `--user-data-dir` of the host's descendant that launchChromium started (prefix kiosk-chromium-; the example
 * host's window has a profile of its own). Read from /proc once the page has settled, so it costs the start nothing.
 */
function kioskProfileOf(hostPid: number): string | null {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid …": the command name may hold spaces and parentheses, so read after its last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process has gone meanwhile
    }
  }
  const descendsFromHost = (pid: number) => {
    for (let at = parents.get(pid); at; at = parents.get(at)) if (at === hostPid) return true;
    return false;
  };
  for (const pid of parents.keys()) {
    if (!descendsFromHost(pid)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const profile = args.find((arg) => arg.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length);
    if (profile && path.basename(profile).startsWith('kiosk-chromium-')) return profile;
  }
  return null;
}

/** `npm start` (or a variant of it) with a fresh data directory; its own Chromium opens the kiosk. */
async function launchKiosk(variant: string): Promise<Launched> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-ui-bench-'));
  const [command, ...args] = commands[kioskCommand(variant)]!;
  const started = epochNow();
  const host = spawn(command!, args, {
    env: {
      ...process.env,
      KIOSK_DATA_DIR: dataDir,
      KIOSK_API_URL: '',
      KIOSK_LOCAL_API: variant.endsWith('+api') ? '' : 'off',
      KIOSK_DEMO_HOST: variant.endsWith('+host') ? '' : 'off',
      CONSENT_API_DATA_DIR: path.join(dataDir, 'api'),
      CONSENT_API_PORT: '0',
      KIOSK_CHROMIUM_FLAGS: devtoolsFlags,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  return {
    started,
    profileDir: () => (host.pid ? kioskProfileOf(host.pid) : null),
    hostReady: waitForLine(host, /^Shell: Chromium/m),
    async stop() {
      // The host stops its Chromium (and deletes its profile) on SIGTERM; anything left of the group goes after.
      const exited = new Promise((resolve) => (host.exitCode === null ? host.once('exit', resolve) : resolve(null)));
      host.kill('SIGTERM');
      await exited;
      // The example host (`+host`) stops on the kiosk's exit and removes its window's profile: give it a moment.
      const groupAlive = () => {
        try {
          if (host.pid) process.kill(-host.pid, 0);
          return Boolean(host.pid);
        } catch {
          return false;
        }
      };
      for (let waited = 0; groupAlive() && waited < 3_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        if (host.pid) process.kill(-host.pid, 'SIGKILL');
      } catch {
        // the group has gone already
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The floor under any page: the same Chromium, started the same way (launchChromium, same flags), on a static page
 * with nothing but a Start button, served from this process. Timed from Chromium's spawn, so Node's own start-up
 * (~50 ms) is not in it.
 */
async function launchBareChromium(): Promise<Launched> {
  const env = { ...process.env, KIOSK_CHROMIUM_FLAGS: devtoolsFlags };
  const url = await staticPageUrl;
  const started = epochNow();
  const chromium = launchChromium(url, env);
  return {
    started,
    profileDir: () => chromium.userDataDir,
    hostReady: null,
    async stop() {
      chromium.process.kill('SIGTERM');
      await chromium.exited;
    },
  };
}

const staticPageUrl = (async () => {
  const server = createHttpServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end('<!doctype html><title>Chromium alone</title><button elementtiming="kiosk-ready">Start</button>');
  }).listen(0, '127.0.0.1');
  server.unref();
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
})();

async function coldStart(variant: string): Promise<Phases> {
  const launched = variant === BARE_CHROMIUM ? await launchBareChromium() : await launchKiosk(variant);
  const { started } = launched;
  let browser: Browser | undefined;
  try {
    // Nothing is attached while the kiosk starts (Playwright's CDP attach pauses a new page and makes round trips,
    // which delayed the first screen by hundreds of ms): the bench connects afterwards and reads the page's records.
    await launched.hostReady;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + SETTLE_MS - epochNow())));
    browser = await connectThroughActivePort(launched.profileDir, 30_000);
    const page = await kioskPage(browser);
    const interactiveAt = await paintedAt(page, 'kiosk-ready');
    const timing: PageTiming = await page.evaluate(() => ({
      origin: performance.timeOrigin,
      resources: performance.getEntriesByType('resource').map((entry) => ({
        name: entry.name,
        start: entry.startTime,
        end: (entry as unknown as { responseEnd: number }).responseEnd,
      })),
    }));
    const resource = (pattern: RegExp) => timing.resources.find((entry) => pattern.test(entry.name));
    // The profile comes with the launch code's exchange (/bridge-session); a checkout from before that asks for it.
    const profileCall = resource(/\/bridge\/getProfile$/) ?? resource(/\/bridge-session$/);
    const fromSpawn = (pageTime: number | undefined) => (pageTime === undefined ? NaN : timing.origin + pageTime - started);
    const phases = {
      hostReady: launched.hostReady ? (await launched.hostReady) - started : NaN,
      navigation: timing.origin - started,
      appScript: fromSpawn(resource(/\/assets\/index-[^/]*\.js$/)?.end),
      profileRequested: fromSpawn(profileCall?.start),
      profileReceived: fromSpawn(profileCall?.end),
      interactive: fromSpawn(interactiveAt),
    };
    return phases;
  } finally {
    await browser?.close().catch(() => undefined);
    await launched.stop();
  }
}

for (const variant of VARIANTS) {
  if (!commands[kioskCommand(variant)] && variant !== BARE_CHROMIUM) throw new Error(`Unknown variant ${variant}: use ${[...Object.keys(commands), BARE_CHROMIUM].join(', ')}.`);
}
// The size figures read out/renderer, and a bench started on a fresh checkout should not stop for want of it.
if (!existsSync(assetsDir)) {
  console.log('out/renderer is missing: building the renderer first (npm run build:renderer)…');
  const build = spawnSync('npm', ['run', '--silent', 'build:renderer'], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('The renderer build failed; see the output above.');
    process.exit(1);
  }
}

const screen = await virtualDisplay();
process.env.DISPLAY = screen.display;
const results: Record<string, Phases[]> = Object.fromEntries(VARIANTS.map((variant) => [variant, []]));
try {
  // One unmeasured start first: builds whatever is stale and warms the disk cache, as a kiosk's second boot would be.
  await coldStart(VARIANTS[0]!);
  for (let run = 0; run < RUNS; run++) {
    for (const variant of VARIANTS) {
      const phases = await coldStart(variant);
      results[variant]!.push(phases);
      const line = Object.entries(phases).map(([name, ms]) => `${name} ${Math.round(ms)}`).join(', ');
      console.log(`run ${run + 1} ${variant}: ${line}`);
    }
  }
} finally {
  screen.stop();
}

const gzipKb = (bytes: Buffer | string) => gzipSync(bytes, { level: 9 }).length / 1024;
const chunks = readdirSync(assetsDir).filter((name) => name.endsWith('.js'));
const firstScreenChunks = new Set(
  [...readFileSync(path.join(rendererDir, 'index.html'), 'utf8').matchAll(/assets\/([^"]+\.js)"/g)].map((match) => match[1]),
);
const bridgeKb = gzipKb(await bridgeClientScript());
const round1 = (kb: number) => Math.round(kb * 10) / 10;
const chunkKb = (names: string[]) => names.reduce((sum, name) => sum + gzipKb(readFileSync(path.join(assetsDir, name))), 0);
const totalKb = round1(chunkKb(chunks) + bridgeKb);
const firstScreenKb = round1(chunkKb(chunks.filter((name) => firstScreenChunks.has(name))) + bridgeKb);

const summary = (phases: Phases[]) => ({
  host_ready_ms: median(phases.map((run) => run.hostReady)),
  navigation_ms: median(phases.map((run) => run.navigation)),
  app_script_ms: median(phases.map((run) => run.appScript)),
  profile_requested_ms: median(phases.map((run) => run.profileRequested)),
  profile_received_ms: median(phases.map((run) => run.profileReceived)),
  first_interactive_ms: median(phases.map((run) => run.interactive)),
});
const variants = Object.fromEntries(VARIANTS.map((variant) => [variant, summary(results[variant]!)]));
const floor = variants[BARE_CHROMIUM]?.first_interactive_ms;
const ratioToChromiumAlone = floor && VARIANTS[0] !== BARE_CHROMIUM ? Math.round((variants[VARIANTS[0]!]!.first_interactive_ms / floor) * 100) / 100 : null;
for (const [variant, figures] of Object.entries(variants)) console.log(`median ${variant}: ${JSON.stringify(figures)}`);
console.log(`renderer JS: ${chunks.length} chunk(s) + bridge client = ${totalKb} kB gzipped; before the first screen ${firstScreenKb} kB`);
console.log(
  JSON.stringify({
    bench: 'ui',
    runs: RUNS,
    ...variants[VARIANTS[0]!],
    variants,
    // The goal (issue 15) is a ratio to the floor measured in the same run, since the machine's load moves both.
    ratio_to_chromium_alone: ratioToChromiumAlone,
    // Both make every Node start of the host slower (Node reads and parses the CA bundle before any module: 120–190
    // ms more to the first screen on the 2-core Xeon, docs/benchmarks.md), and a developer's shell may set them
    // where a terminal's systemd unit does not: a figure is only comparable with one taken in the same environment.
    node_environment: { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? null, NODE_OPTIONS: process.env.NODE_OPTIONS ?? null },
    renderer_js_gzip_kb: totalKb,
    first_screen_js_gzip_kb: firstScreenKb,
    goal_interactive_ms: 1500,
    goal_js_gzip_kb: 160,
  }),
);
