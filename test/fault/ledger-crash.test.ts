import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedgerReader } from '../../electron/ledger/ledger.ts';
import { ledgerPath } from '../../electron/ledger/open-database.ts';
import { tempDataDir } from '../unit/ledger/fixtures.ts';

const KILLS_PER_LANE = 100;
const LANES = 2;
const FULL_VERIFY_EVERY = 25;

let bundleDir: string;
let childScript: string;

// tsx needs ~2 s to start on a busy machine; a minified CommonJS bundle starts about as fast as bare node, so
// 200 kills fit in the time budget.
beforeAll(async () => {
  bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-crash-child-'));
  childScript = path.join(bundleDir, 'capture-loop.cjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/capture-loop.ts', import.meta.url))],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    outfile: childScript,
    external: ['better-sqlite3'],
    logLevel: 'warning',
  });
  // The bundle resolves better-sqlite3 from its own directory.
  fs.symlinkSync(path.resolve('node_modules'), path.join(bundleDir, 'node_modules'));
});

afterAll(() => {
  fs.rmSync(bundleDir, { recursive: true, force: true });
});

/** Starts the capture loop, kills it with SIGKILL 5–60 ms after it began capturing, returns the acknowledged lines. */
function captureUntilKilled(dataDir: string): Promise<Array<{ seq: number; id: string }>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!timer && stdout.startsWith('ready\n')) {
        timer = setTimeout(() => child.kill('SIGKILL'), 5 + Math.random() * 55);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`capture loop exited on its own: ${stderr.trim().split('\n')[0] ?? ''}`));
        return;
      }
      // Only whole lines were acknowledged; a line cut by the kill was not.
      const lines = stdout.split('\n').slice(1, -1);
      resolve(lines.map((line) => {
        const [seq, id] = line.split(' ');
        return { seq: Number(seq), id: id! };
      }));
    });
  });
}

function storedIds(dataDir: string): Set<string> {
  const db = new Database(ledgerPath(dataDir), { readonly: true });
  try {
    return new Set((db.prepare('SELECT id FROM events').pluck().all() as string[]));
  } finally {
    db.close();
  }
}

function verifyLedger(dataDir: string) {
  const reader = openLedgerReader({ dataDir });
  try {
    return reader.verify();
  } finally {
    reader.close();
  }
}

async function lane(dataDir: string): Promise<{ acknowledged: number; kills: number }> {
  const acknowledged: Array<{ seq: number; id: string }> = [];
  for (let kill = 1; kill <= KILLS_PER_LANE; kill += 1) {
    acknowledged.push(...(await captureUntilKilled(dataDir)));
    const stored = storedIds(dataDir);
    const lost = acknowledged.filter((event) => !stored.has(event.id));
    expect(lost, `after kill ${kill}`).toEqual([]);
    if (kill % FULL_VERIFY_EVERY === 0) expect(verifyLedger(dataDir), `after kill ${kill}`).toMatchObject({ ok: true });
  }
  return { acknowledged: acknowledged.length, kills: KILLS_PER_LANE };
}

describe('crash safety', () => {
  it(
    'loses no acknowledged event across 200 SIGKILLs mid-capture, and the chain still verifies',
    async () => {
      const dataDirs = Array.from({ length: LANES }, () => tempDataDir());
      const results = await Promise.all(dataDirs.map((dataDir) => lane(dataDir)));
      for (const [index, dataDir] of dataDirs.entries()) {
        const report = verifyLedger(dataDir);
        expect(report).toMatchObject({ ok: true });
        expect(report.events).toBeGreaterThanOrEqual(results[index]!.acknowledged);
      }
      expect(results.reduce((sum, result) => sum + result.kills, 0)).toBeGreaterThanOrEqual(200);
    },
    240_000,
  );
});
