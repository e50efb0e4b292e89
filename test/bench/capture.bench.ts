/**
 * Capture latency (validate → sign → chain → durable commit) beside a bare durable SQLite insert of the same
 * bytes, measured interleaved in one run. Usage: npm run bench:capture [-- ROUNDS]; BENCH_DIR picks the disk,
 * BENCH_PHONE the number as the draft carries it.
 * Last stdout line: one JSON object with the figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openFileKeyVault } from '../../electron/ledger/file-key-vault.ts';
import { openLedger } from '../../electron/ledger/ledger.ts';
import { openLedgerDatabase } from '../../electron/ledger/open-database.ts';
import { consentFor, draft, terms } from '../unit/ledger/fixtures.ts';

const rounds = Number(process.argv[2] ?? 1000);
const warmup = 50;
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'kiosk-bench-'));

const ledger = openLedger({ dataDir: path.join(root, 'ledger'), vault: openFileKeyVault(path.join(root, 'ledger'), { warn: () => undefined }) });
// The renderer's phone screen and the host integration both hand the ledger an E.164 number; BENCH_PHONE times
// another form, e.g. BENCH_PHONE=090-1234-5678 (a national-form number costs libphonenumber more to parse).
const phone = process.env.BENCH_PHONE ?? '+819012345678';
const oneEvent = draft({ consents: [consentFor(['balance_alerts'])], subject: { source: 'self_entered', phone, country: 'JP' } });

// The baseline stores what one capture stores (body, hash, signature, sealed opening) as one row, with the same
// open path and pragmas (WAL, synchronous=FULL), one row per transaction.
ledger.capture(oneEvent, terms);
const [sample] = ledger.readOutbox(1);
const payload = `${JSON.stringify(sample)}${'h'.repeat(64)}`;
const bare: Database.Database = openLedgerDatabase(path.join(root, 'bare'), { create: true });
bare.exec('CREATE TABLE rows (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL) STRICT');
const insert = bare.prepare('INSERT INTO rows (payload) VALUES (?)');

function timeMs(work: () => unknown): number {
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const captureMs: number[] = [];
const bareMs: number[] = [];
const captureOnce = () => timeMs(() => ledger.capture(oneEvent, terms));
const insertOnce = () => timeMs(() => insert.run(payload));
for (let round = -warmup; round < rounds; round += 1) {
  // Alternate which goes first so neither always meets a freshly flushed disk.
  let capture: number;
  let baseline: number;
  if (round % 2 === 0) {
    capture = captureOnce();
    baseline = insertOnce();
  } else {
    baseline = insertOnce();
    capture = captureOnce();
  }
  if (round < 0) continue;
  captureMs.push(capture);
  bareMs.push(baseline);
}

const verified = ledger.verify();
ledger.close();
bare.close();
fs.rmSync(root, { recursive: true, force: true });

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const round3 = (value: number) => Math.round(value * 1000) / 1000;
const total = captureMs.reduce((sum, value) => sum + value, 0);
const figures = {
  bench: 'capture',
  median_ms: round3(quantile(captureMs, 0.5)),
  baseline_median_ms: round3(quantile(bareMs, 0.5)),
  ratio: round3(quantile(captureMs, 0.5) / quantile(bareMs, 0.5)),
  p99_ms: round3(quantile(captureMs, 0.99)),
  baseline_p99_ms: round3(quantile(bareMs, 0.99)),
  per_s: Math.round((captureMs.length / total) * 1000),
  rounds,
  payload_bytes: Buffer.byteLength(payload),
  phone_form: phone.startsWith('+') ? 'e164' : 'national',
};
console.log(`capture: median ${figures.median_ms} ms, p99 ${figures.p99_ms} ms, ${figures.per_s}/s (ledger verifies: ${verified.ok})`);
console.log(`bare durable insert: median ${figures.baseline_median_ms} ms, p99 ${figures.baseline_p99_ms} ms`);
console.log(`ratio (median): ${figures.ratio} (goal ≤ 2.0)`);
console.log(JSON.stringify(figures));
