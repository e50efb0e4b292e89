/**
 * What the server benchmarks share: the store the API runs on (BENCH_STORE=postgres: a PostgreSQL cluster of
 * Debian's packages in a temp dir, fsync on as in production, a fresh database per API; else SQLite in the API's
 * data dir), the single-core Ed25519 verify rate the API is measured against, and a process's CPU time.
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startLocalCluster, type LocalCluster } from '../../server/store/postgres/local-cluster.ts';

export type BenchStoreKind = 'sqlite' | 'postgres';

export interface BenchStore {
  kind: BenchStoreKind;
  /** The environment an API process needs for a fresh, empty store (nothing for SQLite: its data dir is fresh). */
  freshEnv(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function benchStore(kind = (process.env.BENCH_STORE ?? 'sqlite') as BenchStoreKind): Promise<BenchStore> {
  if (kind === 'sqlite') return { kind, freshEnv: async () => ({}), close: async () => {} };
  if (kind !== 'postgres') throw new Error(`BENCH_STORE must be sqlite or postgres, not ${String(kind)}`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-pg-'));
  chmodSync(dir, 0o711);
  const cluster: LocalCluster = await startLocalCluster({ dir: join(dir, 'cluster'), database: 'postgres' });
  return {
    kind,
    async freshEnv() {
      const name = `bench_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(cluster.url);
      url.pathname = `/${name}`;
      return { DATABASE_URL: url.toString() };
    },
    async close() {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Single-core Ed25519 verifications per second of messages as long as the ledger's canonical event bodies. */
export function verifyRate(messageBytes: number, seconds = 2): number {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const message = Buffer.alloc(messageBytes, 0x61);
  const signature = sign(null, message, privateKey);
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1_000;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) verify(null, message, publicKey, signature);
    count += 200;
  }
  return count / ((performance.now() - start) / 1_000);
}
