/**
 * Sync drain benchmark (brief §6): a real ledger holding 100 000 signed events drains into the reference API
 * (separate process, loopback, verifying every signature and storing durably; BENCH_STORE=postgres on PostgreSQL). Prints events/s beside the
 * single-core Ed25519 verify rate of same-size messages measured in this run, and the kiosk side's peak RSS.
 * Last line: one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ConsentDraft } from '../../shared/contract/capture.ts';
import type { ConsentTerms } from '../../shared/contract/profile.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { renderConsentSentence } from '../../shared/wording.ts';
import { openFileKeyVault } from '../../electron/ledger/file-key-vault.ts';
import { openLedger } from '../../electron/ledger/ledger.ts';
import { createSyncWorker } from '../../electron/sync/sync-worker.ts';
import { benchStore, cpuSecondsOf, verifyRate } from './bench-store.ts';

const EVENTS = Number(process.env.SYNC_BENCH_EVENTS ?? 100_000);
const PER_CAPTURE = 20;
const DEV_TOKEN = 'bench-enrolment-token-0001';

// Twenty utility purposes, so one capture (two consents of ten) writes twenty events in one durable transaction:
// the fill then takes seconds instead of 100 000 fsyncs.
const terms: ConsentTerms = {
  business: { id: 'bench-bank', name: 'Bench Bank', whatsappNumber: '+81312345678' },
  channel: 'atm',
  defaultCountry: 'JP',
  purposes: Array.from({ length: PER_CAPTURE }, (_, i) => ({
    id: `p${String(i).padStart(2, '0')}`,
    category: 'utility' as const,
    label: { en: `notice ${i}` },
  })),
  notices: [
    {
      id: 'bench',
      version: '1',
      locale: 'en',
      optIn: 'I agree to receive {purposes} from {business} on WhatsApp ({number}).',
      optOut: 'Stop sending me {purposes} from {business} on WhatsApp ({number}).',
    },
  ],
};

function draft(i: number): ConsentDraft {
  const groups = [terms.purposes.slice(0, 10), terms.purposes.slice(10, 20)].map((group) => group.map((p) => p.id));
  return {
    kind: 'opt_in',
    flowId: 'bench',
    entryPoint: 'atm.after_transaction',
    locale: 'en',
    subject: { source: 'self_entered', phone: `+8190${10_000_000 + (i % 89_999_999)}` },
    consents: groups.map((purposeIds) => ({ purposeIds, shownText: renderConsentSentence(terms, 'opt_in', purposeIds, 'en').text })),
  };
}


async function startApiProcess(dataDir: string, storeEnv: Record<string, string>): Promise<{ url: string; cpuSeconds(): number; stop(): Promise<void> }> {
  // SYNC_BENCH_CPU_PROFILE=DIR writes the API process's V8 CPU profile there, to see where the server's time goes.
  const profile = process.env.SYNC_BENCH_CPU_PROFILE;
  const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'server/main.ts'], {
    env: {
      ...process.env,
      ...storeEnv,
      CONSENT_API_DATA_DIR: dataDir,
      CONSENT_API_PORT: '0',
      CONSENT_API_DEV_ENROLMENT_TOKEN: DEV_TOKEN,
      // the API refuses consents for a business it does not know
      CONSENT_API_BUSINESSES: JSON.stringify([terms.business]),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the API exited with ${code} before listening`)));
  });
  return {
    url,
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const kioskDir = mkdtempSync(join(tmpdir(), 'sync-bench-kiosk-'));
const apiDir = mkdtempSync(join(tmpdir(), 'sync-bench-api-'));
const vault = openFileKeyVault(kioskDir, { warn: () => {} });
const ledger = openLedger({ dataDir: kioskDir, vault });

const fillStart = performance.now();
for (let i = 0; i < EVENTS / PER_CAPTURE; i++) ledger.capture(draft(i), terms);
const fillSeconds = (performance.now() - fillStart) / 1_000;
const [sample] = ledger.readOutbox(1);
const { sig: _sig, ...body } = sample!.event;
const messageBytes = Buffer.byteLength(canonicalJson(body));
console.log(`filled a ledger with ${EVENTS} events in ${fillSeconds.toFixed(1)} s (event body ${messageBytes} bytes)`);

// Where the kiosk side spends its time: the ledger's outbox reads and result writes, timed around the real calls.
const kioskMs = { readOutboxJson: 0, applySyncResults: 0 };
const timedLedger = {
  ...ledger,
  readOutboxJson: (limit: number, afterSeq?: number) => timed('readOutboxJson', () => ledger.readOutboxJson(limit, afterSeq)),
  applySyncResults: (results: Parameters<typeof ledger.applySyncResults>[0]) =>
    timed('applySyncResults', () => ledger.applySyncResults(results)),
};
function timed<T>(what: keyof typeof kioskMs, run: () => T): T {
  const start = performance.now();
  try {
    return run();
  } finally {
    kioskMs[what] += performance.now() - start;
  }
}

const store = await benchStore();
const api = await startApiProcess(apiDir, await store.freshEnv());
const worker = createSyncWorker({
  ledger: timedLedger,
  apiUrl: api.url,
  dataDir: kioskDir,
  enrolmentToken: DEV_TOKEN,
  appVersion: 'bench',
  timeoutMs: 60_000,
  log: () => {},
});

// Measured before and after the drain; the higher counts, so a load spike on the shared machine during one of the
// measurements cannot flatter the ratio.
const verifyBefore = verifyRate(messageBytes);
// The kiosk's memory must stay flat however long the backlog (no whole-backlog loads): RSS at the start, its peak
// (sampled every 25 ms) and at the end of the drain, and the peak over each tenth of the drain, so growth shows.
const rssBefore = process.memoryUsage.rss();
let peakRss = rssBefore;
const peakRssByTenth: number[] = [];
const sampler = setInterval(() => {
  const rss = process.memoryUsage.rss();
  peakRss = Math.max(peakRss, rss);
  const tenth = Math.min(9, Math.floor((10 * ledger.lastSyncedSeq()) / EVENTS));
  peakRssByTenth[tenth] = Math.max(peakRssByTenth[tenth] ?? 0, rss);
}, 25);
const drainStart = performance.now();
const cpuStart = { kiosk: cpuSecondsOf(process.pid), api: api.cpuSeconds() };
worker.start();
await worker.idle();
const cpuPerEventUs = (seconds: number) => Math.round((seconds * 1e6) / EVENTS);
const cpu = {
  kiosk: cpuPerEventUs(cpuSecondsOf(process.pid) - cpuStart.kiosk),
  api: cpuPerEventUs(api.cpuSeconds() - cpuStart.api),
};
const drained = worker.status();
if (drained.pending !== 0) throw new Error(`sync stopped with ${drained.pending} pending: ${drained.lastError}`);
const drainSeconds = (performance.now() - drainStart) / 1_000;
clearInterval(sampler);
const rssAfter = process.memoryUsage.rss();
await worker.stop();
const outbox = ledger.status().outbox;
ledger.close();
await api.stop();
await store.close();
// the drain's clock observation travels with the consents
if (outbox.synced !== EVENTS + 1) throw new Error(`expected ${EVENTS} consents and a clock observation synced, the ledger says ${JSON.stringify(outbox)}`);

const eventsPerSecond = EVENTS / drainSeconds;
const verifyAfter = verifyRate(messageBytes);
const verifyPerSecond = Math.max(verifyBefore, verifyAfter);
const ratio = eventsPerSecond / verifyPerSecond;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
console.log(`drained ${EVENTS} events in ${drainSeconds.toFixed(1)} s: ${Math.round(eventsPerSecond)} events/s`);
console.log(
  `single-core Ed25519 verify (${messageBytes}-byte messages): ${Math.round(verifyBefore)}/s before, ${Math.round(verifyAfter)}/s after the drain`,
);
console.log(`events/s ÷ the higher verify rate (${Math.round(verifyPerSecond)}/s): ratio ${ratio.toFixed(2)} (goal on ${store.kind} ≥ ${store.kind === 'postgres' ? 0.6 : 0.9})`);
console.log(
  `kiosk side: readOutboxJson ${(kioskMs.readOutboxJson / 1_000).toFixed(1)} s, applySyncResults ${(kioskMs.applySyncResults / 1_000).toFixed(1)} s ` +
    `of ${drainSeconds.toFixed(1)} s; the rest is the HTTP round trip and the API (verify, chain check, durable insert)`,
);
console.log(`CPU per event (all threads, user + system): kiosk ${cpu.kiosk} µs, API ${cpu.api} µs`);
console.log(`kiosk RSS: ${mb(rssBefore)} MB before the drain, peak ${mb(peakRss)} MB during it, ${mb(rssAfter)} MB at its end`);
console.log(`kiosk RSS peak per tenth of the drain (MB): ${peakRssByTenth.map(mb).join(', ')}`);
rmSync(kioskDir, { recursive: true, force: true });
rmSync(apiDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bench: 'sync',
    store: store.kind,
    events: EVENTS,
    fill_s: Math.round(fillSeconds * 10) / 10,
    drain_s: Math.round(drainSeconds * 10) / 10,
    events_per_s: Math.round(eventsPerSecond),
    verify_per_s: Math.round(verifyPerSecond),
    verify_per_s_before_after: [Math.round(verifyBefore), Math.round(verifyAfter)],
    ratio: Math.round(ratio * 100) / 100,
    kiosk_rss_mb: { start: mb(rssBefore), peak: mb(peakRss), end: mb(rssAfter) },
    kiosk_peak_rss_mb_by_tenth: peakRssByTenth.map(mb),
    kiosk_peak_rss_mb: mb(peakRss),
    kiosk_cpu_us_per_event: cpu.kiosk,
    api_cpu_us_per_event: cpu.api,
  }),
);
