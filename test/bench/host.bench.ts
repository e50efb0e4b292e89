/**
 * `npm run bench:host`: what the Host Integration API adds to the opt-in step, measured end to end.
 *
 * Three processes, as on a terminal: the kiosk as `npm start` runs it (node build/start.mjs, headless: the bench
 * opens its page in system Chromium), a host application (test/bench/fixtures/bench-host.ts: the host client over
 * the real WebSocket), and this one, which plays the customer through Playwright. Each round the host offers the
 * ATM step (the customer's number on file), the bench ticks a purpose, Review, Confirm, and Continue; then a
 * durable capture of the same consent alone, on a ledger of this process in the same directory, times what the
 * accept path cannot avoid. Phases, in ms:
 *   - offer → first paint: from the host sending OptIn.Offer to the step's heading first painted (Element
 *     Timing `opt-in-shown`, on the page's clock);
 *   - accept → completion: from the Confirm tap (the click event's own timestamp in the page) to the host
 *     receiving the `accepted` completion;
 *   - capture alone: validate → sign → chain → durable commit (WAL, synchronous=FULL) of the same draft.
 * `accept_overhead_ms` is median(accept → completion) − median(capture alone): the bridge request, the checks
 * against the offer, the events and completion over the WebSocket. The page's clock and the host's are aligned
 * with this process's each round by the quickest of five round trips (`clock_uncertainty_ms`: the median bound).
 * BENCH_HOST_ROUNDS (default 30) measured rounds after 3 warm-up rounds; BENCH_DIR picks the disk.
 * Last stdout line: one JSON object with the figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { openFileKeyVault } from '../../electron/ledger/file-key-vault.ts';
import { openLedger } from '../../electron/ledger/ledger.ts';
import { ConsentTerms } from '../../shared/contract/profile.ts';
import { sentenceForVerified } from '../fixtures/shown-sentence.ts';
import { NO_DISPLAY_LINE, printedLaunchUrl } from '../fixtures/bridge-session.ts';
import { demoProfile } from '../unit/host/host-fixture.ts';

const ROUNDS = Number(process.env.BENCH_HOST_ROUNDS ?? 30);
const WARMUP = 3;
const PHONE = '+819012345678';
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'kiosk-host-bench-'));
const epochNow = () => performance.timeOrigin + performance.now();

type PageProbe = { paints: number[]; confirmAt: number | null; capture: { start: number; end: number } | null };

type ProbedEntry = { identifier: string; renderTime: number; loadTime: number; name: string; startTime: number; responseEnd: number };
type ProbedScope = {
  probe: PageProbe;
  PerformanceObserver: new (callback: (list: { getEntries(): unknown[] }) => void) => { observe(options: { type: string; buffered: boolean }): void };
  document: { addEventListener(type: string, listener: (event: { target: unknown; timeStamp: number }) => void, capture: boolean): void };
};

/**
 * Records, on the page's own clock, each first paint of the opt-in heading, each Confirm tap and the capture
 * request (Resource Timing). Typed by hand: this project's Node code is checked without the DOM library.
 */
async function installProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const scope = globalThis as unknown as ProbedScope;
    scope.probe = { paints: [], confirmAt: null, capture: null };
    const origin = performance.timeOrigin;
    new scope.PerformanceObserver((list) => {
      for (const entry of list.getEntries() as ProbedEntry[]) {
        if (entry.identifier === 'opt-in-shown') scope.probe.paints.push(origin + (entry.renderTime || entry.loadTime));
      }
    }).observe({ type: 'element', buffered: true });
    // Every bridge call is a resource entry; the default buffer (250) would fill up within the run.
    performance.setResourceTimingBufferSize(100_000);
    scope.document.addEventListener(
      'click',
      (event) => {
        const target = event.target as { closest?: (css: string) => unknown } | null;
        if (target?.closest?.('.review .button.primary')) scope.probe.confirmAt = origin + event.timeStamp;
      },
      true,
    );
  });
}

/** What the page recorded so far, with the capture request that followed the last Confirm tap. */
const probe = (page: Page) =>
  page.evaluate(() => {
    const { probe: recorded } = globalThis as unknown as { probe: PageProbe };
    const origin = performance.timeOrigin;
    const request = (performance.getEntriesByType('resource') as unknown as ProbedEntry[]).findLast(
      (entry) => entry.name.endsWith('/bridge/captureConsent') && recorded.confirmAt !== null && origin + entry.startTime >= recorded.confirmAt,
    );
    return { ...recorded, capture: request ? { start: origin + request.startTime, end: origin + request.responseEnd } : null };
  });

type ClockReading = { offset: number; uncertainty: number };

/**
 * Another clock minus this process's, from the quickest of five round trips (`read` answers the other clock's
 * epoch ms); the error is at most `uncertainty`, half that round trip.
 */
async function clockOffset(read: () => Promise<number>): Promise<ClockReading> {
  let best: ClockReading | undefined;
  for (let sample = 0; sample < 5; sample += 1) {
    const sent = epochNow();
    const other = await read();
    const received = epochNow();
    const reading = { offset: other - (sent + received) / 2, uncertainty: (received - sent) / 2 };
    if (!best || reading.uncertainty < best.uncertainty) best = reading;
  }
  return best!;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const round2 = (value: number) => Math.round(value * 100) / 100;

/** The kiosk as npm start runs it, without a display: it says where its one-time launch URL is; the bench opens it. */
async function startKiosk(dataDir: string): Promise<{ child: ChildProcess; launchUrl: string }> {
  const child = spawn(process.execPath, ['build/start.mjs'], {
    env: { ...process.env, KIOSK_DATA_DIR: dataDir, KIOSK_LOCAL_API: 'off', KIOSK_API_URL: '', KIOSK_DEMO_HOST: 'off', DISPLAY: '', WAYLAND_DISPLAY: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const launchUrl = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (NO_DISPLAY_LINE.test(line)) resolve(printedLaunchUrl(line).href);
    });
    child.once('exit', (code) => reject(new Error(`the kiosk exited with ${code}`)));
  });
  return { child, launchUrl };
}

/** The host application's process: one JSON line per answer, in the order asked. */
function startBenchHost(credentialsFile: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/fixtures/bench-host.ts', credentialsFile], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers: Array<(line: Record<string, unknown>) => void> = [];
  const queued: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    const waiter = answers.shift();
    if (waiter) waiter(parsed);
    else queued.push(parsed);
  });
  const next = () => (queued.length ? Promise.resolve(queued.shift()!) : new Promise<Record<string, unknown>>((resolve) => answers.push(resolve)));
  const ask = (line: string) => {
    child.stdin!.write(`${line}\n`);
    return next();
  };
  return { child, next, ask };
}

const kiosk = await startKiosk(path.join(root, 'kiosk'));
const host = startBenchHost(path.join(root, 'kiosk', 'host-api.json'));
const browser = await chromium.launch({
  headless: true,
  ...(fs.existsSync(process.env.KIOSK_CHROMIUM ?? '/usr/bin/chromium') ? { executablePath: process.env.KIOSK_CHROMIUM ?? '/usr/bin/chromium' } : {}),
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const alone = openLedger({ dataDir: path.join(root, 'alone'), vault: openFileKeyVault(path.join(root, 'alone'), { warn: () => undefined }) });
const atm = demoProfile().flows.find((flow) => flow.id === 'atm')!;
const terms = ConsentTerms.parse(atm);
const draft = {
  kind: 'opt_in' as const,
  flowId: 'atm',
  entryPoint: atm.entryPoint,
  locale: 'en' as const,
  consents: [{ purposeIds: ['balance_alerts'], shownText: sentenceForVerified(atm, 'opt_in', ['balance_alerts'], 'en', PHONE) }],
  subject: { source: 'host_verified' as const, phone: PHONE },
};

const offerToPaint: number[] = [];
const acceptToCompletion: number[] = [];
const captureAlone: number[] = [];
const tapToRequest: number[] = [];
const requestRoundTrip: number[] = [];
const uncertainties: number[] = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1024 } });
  await page.goto(kiosk.launchUrl);
  await page.getByRole('button', { name: 'WhatsAppメッセージの停止' }).waitFor();
  await installProbe(page);
  await host.next(); // the host is connected, the kiosk ready, the session begun

  for (let round = -WARMUP; round < ROUNDS; round += 1) {
    const pageClock = await clockOffset(() => page.evaluate(() => performance.timeOrigin + performance.now()));
    const hostClock = await clockOffset(async () => ((await host.ask('clock')) as { now: number }).now);
    const paintsBefore = (await probe(page)).paints.length;
    const answered = host.ask('offer');
    await page.getByRole('checkbox', { name: 'balance alerts' }).check();
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    const { offeredAt, completedAt, outcome } = (await answered) as { offeredAt: number; completedAt: number; outcome: string };
    if (outcome !== 'accepted') throw new Error(`round ${round}: the offer ended ${outcome}`);
    const seen = await probe(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'WhatsAppメッセージの停止' }).waitFor();

    const start = process.hrtime.bigint();
    alone.capture(draft, terms);
    const captureMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (round < 0) continue;
    const paintedAt = seen.paints[paintsBefore];
    if (paintedAt === undefined || seen.confirmAt === null) throw new Error(`round ${round}: the page recorded no paint or no tap`);
    // Everything on this process's clock.
    const onOurClock = { paint: paintedAt - pageClock.offset, tap: seen.confirmAt - pageClock.offset };
    offerToPaint.push(onOurClock.paint - (offeredAt - hostClock.offset));
    acceptToCompletion.push(completedAt - hostClock.offset - onOurClock.tap);
    captureAlone.push(captureMs);
    uncertainties.push(pageClock.uncertainty + hostClock.uncertainty);
    if (seen.capture) {
      tapToRequest.push(seen.capture.start - seen.confirmAt);
      requestRoundTrip.push(seen.capture.end - seen.capture.start);
    }
  }
  host.child.stdin!.end();
} finally {
  await browser.close();
  host.child.kill('SIGTERM');
  kiosk.child.kill('SIGTERM');
  await Promise.all([once(kiosk.child, 'exit'), host.child.exitCode === null ? once(host.child, 'exit') : null]);
  alone.close();
  fs.rmSync(root, { recursive: true, force: true });
}

const figures = {
  bench: 'host',
  rounds: ROUNDS,
  offer_to_paint_ms: round2(quantile(offerToPaint, 0.5)),
  offer_to_paint_p90_ms: round2(quantile(offerToPaint, 0.9)),
  accept_to_completion_ms: round2(quantile(acceptToCompletion, 0.5)),
  accept_to_completion_p90_ms: round2(quantile(acceptToCompletion, 0.9)),
  capture_ms: round2(quantile(captureAlone, 0.5)),
  capture_p90_ms: round2(quantile(captureAlone, 0.9)),
  accept_overhead_ms: round2(quantile(acceptToCompletion, 0.5) - quantile(captureAlone, 0.5)),
  // Where the accept path spends it, on the page's clock: tap → capture request sent, and the bridge round trip.
  tap_to_request_ms: round2(quantile(tapToRequest, 0.5)),
  bridge_request_ms: round2(quantile(requestRoundTrip, 0.5)),
  clock_uncertainty_ms: round2(quantile(uncertainties, 0.5)),
  goal_accept_overhead_ms: 20,
};
console.log(`offer → first paint: median ${figures.offer_to_paint_ms} ms, p90 ${figures.offer_to_paint_p90_ms} ms`);
console.log(`accept tap → accepted completion: median ${figures.accept_to_completion_ms} ms, p90 ${figures.accept_to_completion_p90_ms} ms`);
console.log(`durable capture alone: median ${figures.capture_ms} ms, p90 ${figures.capture_p90_ms} ms`);
console.log(`overhead above the capture (median): ${figures.accept_overhead_ms} ms (goal < 20 ms; clocks aligned within ±${figures.clock_uncertainty_ms} ms)`);
console.log(JSON.stringify(figures));
