/**
 * Server-only ingest benchmark: pre-signed batches (500 events, three in flight, as the kiosk's sync worker sends
 * them) posted to the reference API as its own process, on loopback, verifying every signature and storing
 * durably. Prints events/s and the API's CPU per event. With SERVER_BENCH_BASELINE=DIR (a checkout of an earlier
 * tree, e.g. `git archive 192f887 server shared package.json | tar -x -C DIR`, with node_modules linked) it runs
 * that tree's API on version 1 events in the same run, alternately with this one, and prints the ratio.
 *
 *   SERVER_BENCH_EVENTS=100000 SERVER_BENCH_ROUNDS=3 SERVER_BENCH_BASELINE=/tmp/baseline npx tsx test/bench/ingest.bench.ts
 *
 * BENCH_STORE=postgres runs this tree's API on PostgreSQL (a cluster of Debian's packages in a temp dir, fsync on,
 * a fresh database per round); a baseline tree runs on SQLite, as it always did. Each round also measures the
 * single-core Ed25519 verify rate of messages of the events' size, and the ratio of events/s to it.
 *
 * This tree's run ends its backlog as a kiosk does: the clock observation recorded when the sync began is the last
 * event, and corrects the time of every event before it (one UPDATE). Last line: one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { backlog, enrol, newDevice, observationEvent, post, startApi } from './bench-api.ts';
import { benchStore, cpuSecondsOf, verifyRate } from './bench-store.ts';

const EVENTS = Number(process.env.SERVER_BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.SERVER_BENCH_ROUNDS ?? 3);
const BASELINE = process.env.SERVER_BENCH_BASELINE;
const BATCH = 500;
const IN_FLIGHT = 3;

/** One drain: enrol, (this tree) take the head statement a sync starts with, then post the backlog three batches at a time. */
async function drain(root: string, version: 1 | 2, storeEnv: Record<string, string> = {}): Promise<{ eventsPerSecond: number; apiCpuMicrosPerEvent: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  const device = newDevice();
  const { items, bootId, prev } = backlog(device, version, EVENTS);
  const api = await startApi(root, { ...storeEnv, CONSENT_API_DATA_DIR: dataDir });
  try {
    const credential = await enrol(api.url, device);
    if (version === 2) items.push(await observationEvent(api.url, credential, device, EVENTS + 1, prev, bootId));
    const batches: unknown[][] = [];
    for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
    const cpuBefore = cpuSecondsOf(api.pid);
    const start = performance.now();
    let next = 0;
    let accepted = 0;
    const lane = async () => {
      while (next < batches.length) {
        const events = batches[next++]!;
        const response = await post(`${api.url}/v1/ingest`, version === 1 ? { clockOffsetMs: 0, events } : { events }, credential);
        const { results } = (await response.json()) as { results: { status: string }[] };
        accepted += results.filter((r) => r.status === 'accepted').length;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    const seconds = (performance.now() - start) / 1000;
    if (accepted !== items.length) throw new Error(`only ${accepted} of ${items.length} events were accepted`);
    return { eventsPerSecond: Math.round(items.length / seconds), apiCpuMicrosPerEvent: Math.round(((cpuSecondsOf(api.pid) - cpuBefore) * 1e6) / items.length) };
  } finally {
    await api.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const here = process.cwd();
const store = await benchStore();
const messageBytes = Buffer.byteLength(canonicalJson((({ sig: _sig, ...body }) => body)(backlog(newDevice(), 2, 1).items[0]!.event)));
const runs: { current: number[]; baseline: number[]; currentCpu: number[]; baselineCpu: number[]; verify: number[] } = { current: [], baseline: [], currentCpu: [], baselineCpu: [], verify: [] };
for (let round = 0; round < ROUNDS; round++) {
  if (BASELINE) {
    const baseline = await drain(BASELINE, 1);
    runs.baseline.push(baseline.eventsPerSecond);
    runs.baselineCpu.push(baseline.apiCpuMicrosPerEvent);
    console.log(`round ${round + 1} baseline: ${baseline.eventsPerSecond} events/s, API ${baseline.apiCpuMicrosPerEvent} µs CPU/event`);
  }
  const current = await drain(here, 2, await store.freshEnv());
  runs.current.push(current.eventsPerSecond);
  runs.currentCpu.push(current.apiCpuMicrosPerEvent);
  const verify = Math.round(verifyRate(messageBytes));
  runs.verify.push(verify);
  console.log(`round ${round + 1} this tree (${store.kind}): ${current.eventsPerSecond} events/s, API ${current.apiCpuMicrosPerEvent} µs CPU/event; single-core verify ${verify}/s`);
}
await store.close();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const summary = {
  bench: 'ingest',
  store: store.kind,
  events: EVENTS,
  rounds: ROUNDS,
  events_per_s: median(runs.current),
  api_cpu_us_per_event: median(runs.currentCpu),
  verify_per_s: median(runs.verify),
  verify_ratio: Number((median(runs.current) / median(runs.verify)).toFixed(3)),
  ...(BASELINE
    ? { baseline_events_per_s: median(runs.baseline), baseline_api_cpu_us_per_event: median(runs.baselineCpu), ratio: Number((median(runs.current) / median(runs.baseline)).toFixed(3)) }
    : {}),
};
console.log(JSON.stringify(summary));
