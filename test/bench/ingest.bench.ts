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
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { GENESIS_HASH } from '../../shared/contract/consent-event.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { benchStore, cpuSecondsOf, verifyRate } from './bench-store.ts';

const EVENTS = Number(process.env.SERVER_BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.SERVER_BENCH_ROUNDS ?? 3);
const BASELINE = process.env.SERVER_BENCH_BASELINE;
const BATCH = 500;
const IN_FLIGHT = 3;
const PER_CAPTURE = 20;
const TOKEN = 'ingest-bench-enrolment-token-01';
const BUSINESS = { id: 'bench-bank', name: 'Bench Bank', whatsappNumber: '+81312345678' };

const sha256Hex = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface Device {
  deviceId: string;
  keyId: string;
  publicKey: string;
  privateKey: KeyObject;
}

function newDevice(): Device {
  const pair = generateKeyPairSync('ed25519');
  const publicKey = pair.publicKey.export({ format: 'jwk' }).x as string;
  return { deviceId: uuidv4(), keyId: sha256Hex(Buffer.from(publicKey, 'base64url')).slice(0, 32), publicKey, privateKey: pair.privateKey };
}

/** A ledger's backlog: twenty purposes per capture sharing one opening, chained and signed, in the given version. */
function backlog(device: Device, version: 1 | 2, count: number) {
  const bootId = randomUUID();
  let prev = GENESIS_HASH;
  const items: { event: Record<string, unknown>; subject: unknown }[] = [];
  let opening: { phone: string; salt: string } | null = null;
  let commitment = '';
  for (let seq = 1; seq <= count; seq++) {
    if ((seq - 1) % PER_CAPTURE === 0) {
      opening = { phone: `+8190${10_000_000 + seq}`, salt: randomBytes(16).toString('base64url') };
      commitment = sha256Hex(canonicalJson(opening));
    }
    const terms = {
      id: uuidv7(),
      seq,
      prev,
      device: { id: device.deviceId, keyId: device.keyId },
      kind: 'opt_in',
      subject: { source: 'self_entered', commitment },
      purpose: { id: `p${String((seq - 1) % PER_CAPTURE).padStart(2, '0')}`, category: 'utility' },
      notice: { id: 'bench', version: '1', locale: 'en', text: 'I agree to receive these notices from Bench Bank on WhatsApp (+81 3-1234-5678). I can opt out at any time.' },
      channel: 'atm',
      entryPoint: 'atm.after_transaction',
      flowId: 'bench',
      capturedAt: new Date(Date.now() - 3_600_000 + seq).toISOString(),
    };
    const body =
      version === 1
        ? { v: 1, ...terms, business: { name: BUSINESS.name, whatsappNumber: BUSINESS.whatsappNumber }, clock: { knownGood: true } }
        : { v: 2, type: 'consent', ...terms, business: BUSINESS, clock: { knownGood: true, bootId, monoMs: 1_000_000 + seq } };
    const bytes = Buffer.from(canonicalJson(body));
    prev = sha256Hex(bytes);
    items.push({ event: { ...body, sig: sign(null, bytes, device.privateKey).toString('base64url') }, subject: opening });
  }
  return { items, bootId, prev };
}


async function startApi(root: string, dataDir: string, storeEnv: Record<string, string>) {
  // SERVER_BENCH_CPU_PROFILE=DIR writes the API process's V8 CPU profiles there (one per thread)
  const profile = process.env.SERVER_BENCH_CPU_PROFILE;
  const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', join(root, 'server/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      ...storeEnv,
      CONSENT_API_DATA_DIR: dataDir,
      CONSENT_API_PORT: '0',
      CONSENT_API_DEV_ENROLMENT_TOKEN: TOKEN,
      CONSENT_API_BUSINESSES: JSON.stringify([BUSINESS]),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the API exited with ${code} before listening`)));
  });
  return { url, pid: child.pid!, stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))) };
}

const post = (url: string, body: unknown, credential?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    body: JSON.stringify(body),
  });

/** One drain: enrol, (this tree) take the head statement a sync starts with, then post the backlog three batches at a time. */
async function drain(root: string, version: 1 | 2, storeEnv: Record<string, string> = {}): Promise<{ eventsPerSecond: number; apiCpuMicrosPerEvent: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  const device = newDevice();
  const { items, bootId, prev } = backlog(device, version, EVENTS);
  const api = await startApi(root, dataDir, storeEnv);
  try {
    const enrolled = await post(`${api.url}/v1/devices/enrol`, { token: TOKEN, deviceId: device.deviceId, keyId: device.keyId, publicKey: device.publicKey, appVersion: 'bench' });
    const { credential } = (await enrolled.json()) as { credential: string };
    if (version === 2) {
      const response = await fetch(`${api.url}/v1/devices/head`, { headers: { authorization: `Bearer ${credential}` } });
      const statement = await response.json();
      const now = new Date().toISOString();
      const body = {
        v: 2, type: 'clock_observation', id: uuidv7(), seq: EVENTS + 1, prev, device: { id: device.deviceId, keyId: device.keyId },
        capturedAt: now, clock: { knownGood: true, bootId, monoMs: 2_000_000 }, statement,
        sent: { at: now, monoMs: 2_000_000 }, received: { at: now, monoMs: 2_000_000 },
      };
      items.push({ event: { ...body, sig: sign(null, Buffer.from(canonicalJson(body)), device.privateKey).toString('base64url') }, subject: null });
    }
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
