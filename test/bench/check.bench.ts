/**
 * Consent check benchmark: the API as its own process on a store holding CHECK_BENCH_SUBJECTS (1 000 000) numbers'
 * current state, asked "may I send?" by CHECK_BENCH_CONCURRENCY (8) callers at once, number by number
 * (POST /v1/consent/check) and a campaign's 1 000 at a time (POST /v1/consent/check-batch) — first idle, then while
 * four kiosks drain their backlogs into it (batches of 500, three in flight each, as the sync worker sends them).
 * Beside each, in the same run and slice by slice in turn, the same callers ask a bare HTTP server on the same store
 * (test/bench/bare-lookup-server.ts: one indexed read of consent_state, no framework, no schema, no token); the
 * ratio is what the API keeps of that floor. Every answer of the API is checked against what the seed holds.
 *
 *   npm run bench:check                        # SQLite, in the API's data dir
 *   BENCH_STORE=postgres npm run bench:check   # a PostgreSQL cluster of Debian's packages, fsync on
 *
 * The seed is bulk and not measured (one transaction per 100 000 numbers; multi-row unnest() inserts on
 * PostgreSQL): a sealed opening and a lookup key per number in subjects, its decision for a utility purpose in
 * consent_state (one in ten an opt-out), for half of them a marketing opt-in, and for a quarter a WhatsApp stop,
 * later, in preference_state. The history behind them (events) is not seeded: the check never reads it, and
 * ingest adds to it.
 * Also printed: ingest alone on the seeded store (events/s) beside the single-core Ed25519 verify rate, and on
 * PostgreSQL what each commit of that window wrote to the WAL (kB, full-page images, records).
 * Last line: one JSON object (`p99_under_ingest_ms` among its fields).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { MAX_CHECK_BATCH } from '../../shared/contract/sync.ts';
import { KIOSK_STATE, PREFERENCE_STATE } from '../../server/store/consent-states.ts';
import { loadDataKey } from '../../server/keys/data-key.ts';
import { openStore } from '../../server/store/store.ts';
import { BENCH_BUSINESS, backlog, enrol, newDevice, post, startApi, type ApiProcess } from './bench-api.ts';
import { benchStore, cpuSecondsOf, verifyRate } from './bench-store.ts';

const SUBJECTS = Number(process.env.CHECK_BENCH_SUBJECTS ?? 1_000_000);
const CONCURRENCY = Number(process.env.CHECK_BENCH_CONCURRENCY ?? 8);
const BATCH_CONCURRENCY = 2;
const SLICE_S = Number(process.env.CHECK_BENCH_SLICE_S ?? 2);
const ROUNDS = Number(process.env.CHECK_BENCH_ROUNDS ?? 3);
const KIOSKS = 4;
const KIOSK_EVENTS = Number(process.env.CHECK_BENCH_KIOSK_EVENTS ?? 100_000);
// Events are counted as batches of 500 are answered, twelve in flight: over 5 s at 1 000–2 000 events/s that is a
// handful of answers, and the rate read swung from 600 to 2 400/s between runs of the same code (2026-12-02).
const INGEST_ALONE_S = Number(process.env.CHECK_BENCH_INGEST_ALONE_S ?? 15);
const READER_TOKEN = 'check-bench-reader-token-0123456789';
const SEED_CHUNK = 100_000;
const BASE_MS = Date.parse('2026-06-01T00:00:00.000Z');
const PURPOSES = ['balance-alerts', 'offers'] as const;

const phoneOf = (index: number) => `+8170${10_000_000 + index}`;
/** What the seed makes every check answer: a tenth of the numbers asked were never seen. */
function allowedFor(index: number, purposeId: (typeof PURPOSES)[number]): boolean {
  if (index >= SUBJECTS) return false;
  return purposeId === 'balance-alerts' ? index % 10 !== 0 : index % 2 === 0 && index % 4 !== 0;
}
const randomIndex = () => Math.floor(Math.random() * SUBJECTS * 1.1);

/** Seeds the store; one enrolment token per kiosk. */
async function seed(dataDir: string, databaseUrl: string | undefined): Promise<{ stateRows: number; tokens: string[] }> {
  const store = await openStore({ dataDir, databaseUrl, clockToleranceMs: 60_000 }, undefined, () => {});
  const dataKey = loadDataKey({ dataDir });
  const time = (ms: number) => [ms, ms, ms, 'bounded', ms + 1_000];
  const subjects = { table: 'subjects', columns: [{ name: 'commitment', type: 'text' }, { name: 'opening', type: 'bytea' }, { name: 'phone_key', type: 'text' }] } as const;
  let stateRows = 0;
  try {
    for (let from = 0; from < SUBJECTS; from += SEED_CHUNK) {
      const rows = { subjects: [] as unknown[][], kiosk: [] as unknown[][], preference: [] as unknown[][] };
      for (let i = from; i < Math.min(SUBJECTS, from + SEED_CHUNK); i++) {
        const opening = canonicalJson({ phone: phoneOf(i), salt: `seed-${i}` });
        const commitment = createHash('sha256').update(opening).digest('hex');
        const phoneKey = store.lookup(phoneOf(i));
        rows.subjects.push([commitment, dataKey.seal(opening, `opening:${commitment}`), phoneKey]);
        rows.kiosk.push([phoneKey, BENCH_BUSINESS.id, 'balance-alerts', `seed-${i}-u`, i % 10 === 0 ? 'opt_out' : 'opt_in', 'utility', ...time(BASE_MS + i)]);
        if (i % 2 === 0) rows.kiosk.push([phoneKey, BENCH_BUSINESS.id, 'offers', `seed-${i}-m`, 'opt_in', 'marketing', ...time(BASE_MS + i)]);
        if (i % 4 === 0) rows.preference.push([phoneKey, '', 'stop', ...time(BASE_MS + i + 5_000)]);
      }
      await store.db.transaction(async (tx) => {
        await tx.insertRows(subjects, rows.subjects);
        await tx.insertRows(KIOSK_STATE, rows.kiosk);
        await tx.insertRows(PREFERENCE_STATE, rows.preference);
      });
      stateRows += rows.kiosk.length + rows.preference.length;
    }
    await store.db.run('ANALYZE');
    const tokens: string[] = [];
    for (let k = 0; k < KIOSKS; k++) tokens.push(await store.devices.createToken());
    return { stateRows, tokens };
  } finally {
    await store.close();
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY + BATCH_CONCURRENCY });
/**
 * A JSON POST on a kept-alive connection (node:http: lighter on the caller's CPU than fetch, for both targets alike),
 * asked once more when the connection was reset: the server closes a connection idle for five seconds, and a call
 * may leave on it as it does (between the phases).
 */
function postJson<T>(url: string, body: unknown, token?: string, attempt = 1): Promise<T> {
  const payload = JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) reject(new Error(`${url}: ${response.statusCode} ${text.slice(0, 200)}`));
        else resolve(JSON.parse(text) as T);
      });
    });
    req.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' && attempt === 1 ? resolve(postJson<T>(url, body, token, 2)) : reject(error)));
    req.end(payload);
  });
}

let wrongAnswers = 0;
const purposeAt = (n: number) => PURPOSES[n % 2]!;
let asked = 0;

/** One call of each kind; each resolves once its answer is in (and, for the API, checked). */
function targets(apiUrl: string, bareUrl: string) {
  return {
    check: async () => {
      const index = randomIndex();
      const purposeId = purposeAt(asked++);
      const answer = await postJson<{ allowed: boolean }>(`${apiUrl}/v1/consent/check`, { businessId: BENCH_BUSINESS.id, phone: phoneOf(index), purposeId }, READER_TOKEN);
      if (answer.allowed !== allowedFor(index, purposeId)) wrongAnswers++;
    },
    bare: async () => {
      await postJson(`${bareUrl}/one`, { phone: phoneOf(randomIndex()), purposeId: purposeAt(asked++) });
    },
    batch: async () => {
      const indexes = Array.from({ length: MAX_CHECK_BATCH }, randomIndex);
      const purposeId = purposeAt(asked++);
      const { results } = await postJson<{ results: { allowed: boolean }[] }>(
        `${apiUrl}/v1/consent/check-batch`,
        { businessId: BENCH_BUSINESS.id, purposeId, items: indexes.map((index) => ({ phone: phoneOf(index) })) },
        READER_TOKEN,
      );
      results.forEach((result, n) => {
        if (result.allowed !== allowedFor(indexes[n]!, purposeId)) wrongAnswers++;
      });
    },
    bareBatch: async () => {
      await postJson(`${bareUrl}/many`, { phones: Array.from({ length: MAX_CHECK_BATCH }, () => phoneOf(randomIndex())), purposeId: purposeAt(asked++) });
    },
  };
}
type Target = keyof ReturnType<typeof targets>;
const CONCURRENCY_OF: Record<Target, number> = { check: CONCURRENCY, bare: CONCURRENCY, batch: BATCH_CONCURRENCY, bareBatch: BATCH_CONCURRENCY };

/** Calls `call` from `concurrency` callers, each asking again as soon as it has its answer, for `seconds`. */
async function closedLoop(seconds: number, concurrency: number, call: () => Promise<void>): Promise<{ latencies: number[]; ms: number }> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1_000;
  const caller = async () => {
    while (performance.now() < end) {
      const sent = performance.now();
      await call();
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { latencies, ms: performance.now() - start };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const round2 = (value: number) => Number(value.toFixed(2));

/**
 * ROUNDS rounds of one slice per target in turn, so a target and its floor see the same load; figures per target,
 * with the CPU its serving process spent per call (steadier than wall-clock figures on a shared machine; under
 * ingest the API's includes the ingest it does meanwhile).
 */
async function phase(calls: ReturnType<typeof targets>, pids: Record<Target, number>) {
  const totals = Object.fromEntries(Object.keys(calls).map((name) => [name, { latencies: [] as number[], ms: 0, cpu: 0 }])) as Record<Target, { latencies: number[]; ms: number; cpu: number }>;
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(calls) as Target[]) {
      const cpuBefore = cpuSecondsOf(pids[name]);
      const { latencies, ms } = await closedLoop(SLICE_S, CONCURRENCY_OF[name], calls[name]);
      totals[name].cpu += cpuSecondsOf(pids[name]) - cpuBefore;
      totals[name].latencies.push(...latencies);
      totals[name].ms += ms;
    }
  }
  const figures = (name: Target, numbersPerCall: number) => {
    const { latencies, ms, cpu } = totals[name];
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      calls_per_s: Math.round((latencies.length * 1_000) / ms),
      ...(numbersPerCall > 1 ? { numbers_per_s: Math.round((latencies.length * numbersPerCall * 1_000) / ms) } : {}),
      p50_ms: round2(percentile(sorted, 0.5)),
      p99_ms: round2(percentile(sorted, 0.99)),
      server_cpu_us_per_call: Math.round((cpu * 1e6) / latencies.length),
    };
  };
  const result = { check: figures('check', 1), bare: figures('bare', 1), batch: figures('batch', MAX_CHECK_BATCH), bare_batch: figures('bareBatch', MAX_CHECK_BATCH) };
  return {
    ...result,
    check_vs_bare: round2(result.check.calls_per_s / result.bare.calls_per_s),
    batch_vs_bare: round2(result.batch.calls_per_s / result.bare_batch.calls_per_s),
    check_cpu_vs_bare: round2(result.check.server_cpu_us_per_call / result.bare.server_cpu_us_per_call),
  };
}

/**
 * A batch posted as the sync worker posts it: sent again when the connection fails (a kept-alive socket the API
 * closed as the request left); the API stores a resent event once.
 */
async function send(url: string, body: unknown, credential: string): Promise<{ results: { status: string }[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await post(url, body, credential);
      if (!response.ok) throw new Error(`ingest answered ${response.status}`);
      return (await response.json()) as { results: { status: string }[] };
    } catch (error) {
      if (attempt === 3 || !(error instanceof TypeError)) throw error;
    }
  }
}

/** Four kiosks draining signed backlogs into the API until `stop`; `accepted` counts the events it took. */
function kiosks(api: ApiProcess, tokens: readonly string[]) {
  const state = { accepted: 0, stopped: false, exhausted: 0 };
  const drains = Array.from({ length: KIOSKS }, async (_, k) => {
    const device = newDevice();
    const { items } = backlog(device, 2, KIOSK_EVENTS, 20_000_000 + k * 2_000_000);
    const credential = await enrol(api.url, device, tokens[k]);
    return async () => {
      let next = 0;
      const lane = async () => {
        while (!state.stopped && next < items.length) {
          const events = items.slice(next, (next += 500));
          const { results } = await send(`${api.url}/v1/ingest`, { events }, credential);
          state.accepted += results.filter((r) => r.status === 'accepted').length;
        }
        if (next >= items.length) state.exhausted++;
      };
      await Promise.all([lane(), lane(), lane()]);
    };
  });
  return { state, start: async () => Promise.all((await Promise.all(drains)).map((drain) => drain())) };
}

interface WalCounters {
  records: number;
  fullPages: number;
  bytes: number;
}

/** PostgreSQL's WAL counters (pg_stat_wal), to see what one ingest commit writes. */
async function walCounters(databaseUrl: string | undefined): Promise<WalCounters | null> {
  if (databaseUrl === undefined) return null;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ records: string; fullPages: string; bytes: string }>('SELECT wal_records AS records, wal_fpi AS "fullPages", wal_bytes AS bytes FROM pg_stat_wal');
    const row = rows[0]!;
    return { records: Number(row.records), fullPages: Number(row.fullPages), bytes: Number(row.bytes) };
  } finally {
    await client.end();
  }
}

/** Per ingest commit over a window, each batch of 500 being one (the counters lag by up to half a second). */
function walPerCommit(before: WalCounters | null, after: WalCounters | null, events: number) {
  if (!before || !after) return null;
  const commits = Math.max(1, Math.round(events / 500));
  return {
    commits,
    wal_kb_per_commit: round2((after.bytes - before.bytes) / 1024 / commits),
    full_page_images_per_commit: round2((after.fullPages - before.fullPages) / commits),
    wal_records_per_commit: round2((after.records - before.records) / commits),
  };
}

const store = await benchStore();
const dataDir = mkdtempSync(join(tmpdir(), 'check-bench-'));
try {
  const storeEnv = await store.freshEnv();
  const seedStart = performance.now();
  const { stateRows, tokens } = await seed(dataDir, storeEnv.DATABASE_URL);
  const seedSeconds = (performance.now() - seedStart) / 1_000;
  console.log(`seeded ${SUBJECTS} numbers (${stateRows} state rows) on ${store.kind} in ${seedSeconds.toFixed(1)} s`);
  const env = { ...storeEnv, CONSENT_API_DATA_DIR: dataDir, CONSENT_API_CONSENT_READER_TOKEN: READER_TOKEN };
  const api = await startApi(process.cwd(), env);
  const bare = await startApi(process.cwd(), env, 'test/bench/bare-lookup-server.ts');
  try {
    const calls = targets(api.url, bare.url);
    const pids = { check: api.pid, batch: api.pid, bare: bare.pid, bareBatch: bare.pid };
    for (const name of Object.keys(calls) as Target[]) await closedLoop(1, CONCURRENCY_OF[name], calls[name]);
    const idle = await phase(calls, pids);
    console.log(`idle: ${JSON.stringify(idle)}`);

    const ingest = kiosks(api, tokens);
    let ingestFailure: unknown;
    const draining = ingest.start().catch((error: unknown) => void (ingestFailure = error));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const walBefore = await walCounters(storeEnv.DATABASE_URL);
    const aloneFrom = { accepted: ingest.state.accepted, at: performance.now() };
    await new Promise((resolve) => setTimeout(resolve, INGEST_ALONE_S * 1_000));
    const ingestAlone = ((ingest.state.accepted - aloneFrom.accepted) * 1_000) / (performance.now() - aloneFrom.at);
    const wal = walPerCommit(walBefore, await walCounters(storeEnv.DATABASE_URL), ingest.state.accepted - aloneFrom.accepted);
    const underFrom = { accepted: ingest.state.accepted, at: performance.now() };
    const underIngest = await phase(calls, pids);
    const ingestUnderChecks = ((ingest.state.accepted - underFrom.accepted) * 1_000) / (performance.now() - underFrom.at);
    const exhausted = ingest.state.exhausted;
    ingest.state.stopped = true;
    await draining;
    if (ingestFailure) throw ingestFailure;
    console.log(`under ingest: ${JSON.stringify(underIngest)}; ingest ${Math.round(ingestUnderChecks)} events/s (alone: ${Math.round(ingestAlone)})`);
    if (wrongAnswers > 0) throw new Error(`${wrongAnswers} checks answered other than the seed says`);

    const messageBytes = Buffer.byteLength(canonicalJson((({ sig: _sig, ...body }) => body)(backlog(newDevice(), 2, 1).items[0]!.event)));
    const verify = Math.round(verifyRate(messageBytes));
    console.log(
      JSON.stringify({
        bench: 'check',
        store: store.kind,
        subjects: SUBJECTS,
        state_rows: stateRows,
        concurrency: CONCURRENCY,
        batch_concurrency: BATCH_CONCURRENCY,
        batch_size: MAX_CHECK_BATCH,
        slice_s: SLICE_S,
        rounds: ROUNDS,
        seed_s: round2(seedSeconds),
        idle,
        // false: some kiosk ran out of backlog before the checks ended (raise CHECK_BENCH_KIOSK_EVENTS)
        under_ingest: { ...underIngest, ingest_events_per_s: Math.round(ingestUnderChecks), ingest_throughout: exhausted === 0 },
        p50_under_ingest_ms: underIngest.check.p50_ms,
        p99_under_ingest_ms: underIngest.check.p99_ms,
        throughput_vs_bare_under_ingest: underIngest.check_vs_bare,
        ingest_alone_events_per_s: Math.round(ingestAlone),
        verify_per_s: verify,
        ingest_verify_ratio: round2(ingestAlone / verify),
        // PostgreSQL: what the commits of the ingest-alone window wrote to the WAL (each batch is one commit)
        ingest_alone_wal: wal,
      }),
    );
  } finally {
    await Promise.all([api.stop(), bare.stop()]);
  }
} finally {
  agent.destroy();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
