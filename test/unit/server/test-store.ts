import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { loadDataKey } from '../../../server/keys/data-key.ts';
import type { ChainWrites } from '../../../server/store/chain-writes.ts';
import { postgresChainWrites } from '../../../server/store/postgres/chain-writes.ts';
import { openPostgres } from '../../../server/store/postgres/open-database.ts';
import type { SqlDb, SqlTx } from '../../../server/store/sql.ts';
import { sqliteChainWrites } from '../../../server/store/sqlite/chain-writes.ts';
import { openDatabase } from '../../../server/store/sqlite/open-database.ts';

/** The store this test run uses: every server test file runs once on SQLite and once on PostgreSQL (vitest.config.ts). */
export const STORE = inject('store');

let database: Promise<string> | undefined;

/** This file's own database in the run's cluster, made on first use. */
function fileDatabase(): Promise<string> {
  database ??= (async () => {
    const name = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(inject('postgresUrl'));
    url.pathname = `/${name}`;
    return url.toString();
  })();
  return database;
}

/** Runs `sql` as the cluster's superuser in this file's database (CHECKPOINT, a look at a table). */
export async function asSuperuser<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: await fileDatabase() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * What a fresh test API needs for its store: nothing on SQLite (a fresh data dir holds the file), a fresh schema of
 * this file's database on PostgreSQL (`search_path` in the URL), so each test starts empty.
 */
export async function freshStore(): Promise<{ databaseUrl?: string }> {
  if (STORE !== 'postgres') return {};
  const schema = `s_${randomBytes(6).toString('hex')}`;
  await asSuperuser((client) => client.query(`CREATE SCHEMA ${schema}`));
  const url = new URL(await fileDatabase());
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { databaseUrl: url.toString() };
}

/** A bare migrated database of this run's kind, for a test of one repository without the API around it. */
export interface BareStore {
  db: SqlDb;
  dataDir: string;
  writesFor: (tx: SqlTx, ids: readonly string[]) => ChainWrites;
  close: () => Promise<void>;
}

export async function openBareStore(clockToleranceMs = 60_000): Promise<BareStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'consent-store-'));
  const context = { clockToleranceMs, dataKey: loadDataKey({ dataDir }) };
  const [db, writesFor] = STORE === 'postgres'
    ? [await openPostgres((await freshStore()).databaseUrl!, context, () => {}), postgresChainWrites]
    : [openDatabase(dataDir, context), sqliteChainWrites];
  return {
    db,
    dataDir,
    writesFor,
    close: async () => {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
