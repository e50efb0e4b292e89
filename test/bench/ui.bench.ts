/**
 * `npm run bench:ui`: how fast the Chromium shell gets a person to the opt-in, and how much JavaScript it ships.
 *
 * Each of RUNS cold starts does what `npm start` does, in the same order (npm's own start-up is not counted):
 * spawns `tsx electron/start.ts` with a fresh data directory (so a new device key and ledger) and no display (so
 * it prints the launch URL instead of opening a window); once the URL is printed, launches a fresh Chromium via
 * Playwright and opens it. Measured from the spawn:
 *   - host ready: the launch URL is printed (profile loaded, ledger open, bridge listening);
 *   - first interactive screen: the attract screen's Start button is visible (Chromium launch + page load);
 *   - opt-in: after clicking through the simulated ATM screens (Start, Insert card, Withdrawal, Continue), the
 *     opt-in step is visible. This includes four clicks' worth of automation, so it is an upper bound.
 * Chromium's own launch time is reported separately, since a kiosk's browser may already be running.
 * Renderer size: every .js file in out/renderer plus the bridge's /kiosk-bridge.js, each gzipped at level 9.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from '@playwright/test';
import { bridgeClientScript } from '../../electron/bridge/bridge-client-bundle.ts';

const RUNS = Number(process.env.UI_BENCH_RUNS ?? 7);
const systemChromium = process.env.KIOSK_CHROMIUM ?? '/usr/bin/chromium';
const assetsDir = path.resolve('out/renderer/assets');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return Math.round(sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2);
}

function waitForLaunchUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/#kiosk-token=[\w-]+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the host exited (${code}) before it was ready:\n${output}`)));
  });
}

async function coldStart(): Promise<{ hostReady: number; browserLaunch: number; interactive: number; optIn: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-ui-bench-'));
  const started = performance.now();
  const host = spawn(path.resolve('node_modules/.bin/tsx'), ['electron/start.ts'], {
    env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', KIOSK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  let browser: Browser | undefined;
  try {
    const launchUrl = await waitForLaunchUrl(host);
    const hostReady = performance.now() - started;
    browser = await chromium.launch({
      ...(existsSync(systemChromium) ? { executablePath: systemChromium } : {}),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const browserLaunch = performance.now() - started - hostReady;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1024 } });
    await page.goto(launchUrl.replace('/#', '/?flow=atm#'));
    const start = page.getByRole('button', { name: /./ }).filter({ hasText: /^(スタート|開始|Start)$/ });
    await start.waitFor({ state: 'visible' });
    const interactive = performance.now() - started;
    await page.getByRole('button', { name: 'English' }).click();
    for (const name of ['Start', 'Insert card', 'Withdrawal', 'Continue']) await page.getByRole('button', { name, exact: true }).click();
    await page.getByRole('heading', { name: /on WhatsApp\?$/ }).waitFor({ state: 'visible' });
    const optIn = performance.now() - started;
    return { hostReady, browserLaunch, interactive, optIn };
  } finally {
    await browser?.close();
    if (host.pid) process.kill(-host.pid, 'SIGTERM');
    await new Promise((resolve) => (host.exitCode === null ? host.once('exit', resolve) : resolve(null)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (!existsSync(assetsDir)) throw new Error('out/renderer is missing: run `npm run build:renderer` first.');

const runs: Array<Awaited<ReturnType<typeof coldStart>>> = [];
for (let run = 0; run < RUNS; run++) {
  const result = await coldStart();
  runs.push(result);
  const ms = (value: number) => `${Math.round(value)} ms`;
  console.log(
    `run ${run + 1}: host ready ${ms(result.hostReady)} (then Chromium launch ${ms(result.browserLaunch)}), ` +
      `first interactive screen ${ms(result.interactive)}, opt-in ${ms(result.optIn)}`,
  );
}

const jsFiles = readdirSync(assetsDir).filter((name) => name.endsWith('.js'));
const rendererGzip = jsFiles.reduce((sum, name) => sum + gzipSync(readFileSync(path.join(assetsDir, name)), { level: 9 }).length, 0);
const bridgeGzip = gzipSync(await bridgeClientScript(), { level: 9 }).length;
const totalKb = Math.round(((rendererGzip + bridgeGzip) / 1024) * 10) / 10;

const figures = {
  bench: 'ui',
  runs: RUNS,
  host_ready_ms: median(runs.map((run) => run.hostReady)),
  chromium_launch_ms: median(runs.map((run) => run.browserLaunch)),
  first_interactive_ms: median(runs.map((run) => run.interactive)),
  opt_in_ms: median(runs.map((run) => run.optIn)),
  renderer_js_gzip_kb: totalKb,
  goal_interactive_ms: 1500,
  goal_js_gzip_kb: 160,
};
console.log(`renderer JS ${jsFiles.length} file(s) + bridge client: ${totalKb} kB gzipped (bridge client ${bridgeGzip} B)`);
console.log(JSON.stringify(figures));
