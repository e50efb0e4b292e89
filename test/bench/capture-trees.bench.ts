/**
 * The capture code of several checkouts side by side in one process: each round times one capture per tree and one
 * bare durable insert of the same bytes, in a rotating order, so every tree meets the same disk in the same minutes
 * (alternating whole `bench:capture` runs cannot separate tens of µs on this machine). Afterwards it counts each
 * tree's WAL frames per capture: with the WAL truncated and a reader snapshot on a second connection keeping it from
 * being restarted, the frames the next captures append are all still in the file.
 * Usage: npx tsx test/bench/capture-trees.bench.ts ROUNDS LABEL=TREE... (TREE: a checkout, e.g. a scratch
 * `git worktree` with node_modules linked). Last stdout line: one JSON object.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ConsentDraft } from '../../shared/contract/capture.ts';
import type { ConsentTerms } from '../../shared/contract/profile.ts';

type TreeLedger = {
  capture(draft: ConsentDraft, terms: ConsentTerms): unknown;
  readOutbox(limit: number): unknown[];
  close(): void;
};
type Arm = { label: string; run: () => unknown; ms: number[]; file?: string };

const rounds = Number(process.argv[2] ?? 2000);
const trees = process.argv.slice(3).map((spec) => {
  const at = spec.indexOf('=');
  return { label: spec.slice(0, at), tree: path.resolve(spec.slice(at + 1)) };
});
if (!Number.isInteger(rounds) || rounds < 1 || trees.length === 0) throw new Error('usage: capture-trees.bench.ts ROUNDS LABEL=TREE...');
const FRAME_CAPTURES = 200;
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'kiosk-trees-'));

const arms: Arm[] = [];
const ledgers: TreeLedger[] = [];
let bare: Arm | null = null;
for (const { label, tree } of trees) {
  // each tree's own modules, so each arm runs that checkout's capture code
  const { openLedger } = (await import(path.join(tree, 'electron/ledger/ledger.ts'))) as { openLedger(options: object): TreeLedger };
  const { openFileKeyVault } = (await import(path.join(tree, 'electron/ledger/file-key-vault.ts'))) as { openFileKeyVault(dir: string, options: object): object };
  const fixtures = (await import(path.join(tree, 'test/unit/ledger/fixtures.ts'))) as {
    consentFor(purposeIds: string[]): ConsentDraft['consents'][number];
    draft(overrides: Partial<ConsentDraft>): ConsentDraft;
    terms: ConsentTerms;
  };
  const dir = path.join(root, label);
  const ledger = openLedger({ dataDir: dir, vault: openFileKeyVault(dir, { warn: () => undefined }) });
  ledgers.push(ledger);
  const oneEvent = fixtures.draft({
    consents: [fixtures.consentFor(['balance_alerts'])],
    subject: { source: 'self_entered', phone: '+819012345678', country: 'JP' },
  });
  const run = () => ledger.capture(oneEvent, fixtures.terms);
  run();
  if (!bare) {
    // the same bytes one capture stores, as in capture.bench.ts
    const payload = `${JSON.stringify(ledger.readOutbox(1)[0])}${'h'.repeat(64)}`;
    const { openLedgerDatabase } = (await import(path.join(tree, 'electron/ledger/open-database.ts'))) as {
      openLedgerDatabase(dir: string, options: { create: boolean }): Database.Database;
    };
    const db = openLedgerDatabase(path.join(root, 'bare'), { create: true });
    db.exec('CREATE TABLE rows (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL) STRICT');
    const insert = db.prepare('INSERT INTO rows (payload) VALUES (?)');
    bare = { label: 'bare', run: () => insert.run(payload), ms: [], file: path.join(root, 'bare', 'ledger.sqlite') };
  }
  arms.push({ label, run, ms: [], file: path.join(dir, 'ledger.sqlite') });
}
arms.push(bare!);

for (let round = -50; round < rounds; round += 1) {
  const first = (((round % arms.length) + arms.length) % arms.length);
  for (let i = 0; i < arms.length; i += 1) {
    const arm = arms[(first + i) % arms.length]!;
    const start = process.hrtime.bigint();
    arm.run();
    if (round >= 0) arm.ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
}

function framesPerCapture(arm: Arm): number {
  const reader = new Database(arm.file!);
  try {
    const frameBytes = 24 + (reader.pragma('page_size', { simple: true }) as number);
    // A WAL that was restarted is reused from its start without shrinking, so its size says nothing until it is
    // truncated; one write after that leaves frames the snapshot below pins (a snapshot of a fully checkpointed WAL
    // would not stop the next restart).
    reader.pragma('wal_checkpoint(TRUNCATE)');
    arm.run();
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM sqlite_schema').get();
    const before = fs.statSync(`${arm.file!}-wal`).size;
    for (let i = 0; i < FRAME_CAPTURES; i += 1) arm.run();
    const after = fs.statSync(`${arm.file!}-wal`).size;
    reader.exec('COMMIT');
    return Math.round(((after - before) / frameBytes / FRAME_CAPTURES) * 100) / 100;
  } finally {
    reader.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round3 = (value: number) => Math.round(value * 1000) / 1000;
const bareMedian = median(bare!.ms);
const figures: Record<string, unknown> = { bench: 'capture-trees', rounds, bare_median_ms: round3(bareMedian), bare_wal_frames: framesPerCapture(bare!) };
for (const arm of arms.slice(0, -1)) {
  const m = median(arm.ms);
  figures[arm.label] = { median_ms: round3(m), ratio: round3(m / bareMedian), over_bare_us: Math.round((m - bareMedian) * 1000), wal_frames: framesPerCapture(arm) };
}
for (const ledger of ledgers) ledger.close();
fs.rmSync(root, { recursive: true, force: true });
console.log(JSON.stringify(figures));
