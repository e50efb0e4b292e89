import { createHash } from 'node:crypto';
import pg from 'pg';
import { RetryTransaction, type Dialect, type RowInsert, type RunResult, type SqlDb, type SqlQueries, type SqlTx, type StorageFailure } from '../sql.ts';

type Params = readonly unknown[];

const dialect: Dialect = {
  name: 'postgres',
  inList: (column, type = 'text') => `${column} = ANY(CAST(? AS ${type}[]))`,
  list: (values) => values.map(String),
  forUpdate: ' FOR UPDATE',
  jsonText: (column, path) => `(CAST(${column} AS jsonb) #>> '{${path.join(',')}}')`,
};

/** `?` → `$n` (outside quoted literals), once per SQL text; the statement is named, so each connection prepares it once. */
const translated = new Map<string, { name: string; text: string }>();
function statement(sql: string): { name: string; text: string } {
  let found = translated.get(sql);
  if (!found) {
    let n = 0;
    let quoted = false;
    let text = '';
    for (const char of sql) {
      if (char === "'") quoted = !quoted;
      text += char === '?' && !quoted ? `$${++n}` : char;
    }
    found = { name: `s${createHash('sha256').update(sql).digest('hex').slice(0, 20)}`, text };
    translated.set(sql, found);
  }
  return found;
}

/** bigint (counts, ms timestamps, seqs) as a JS number: every value the API stores fits in 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function queriesOn(client: pg.Pool | pg.PoolClient): SqlQueries {
  const query = async <T>(sql: string, params: Params = []) => client.query({ ...statement(sql), values: params as unknown[] }) as unknown as Promise<pg.QueryResult<T & pg.QueryResultRow>>;
  return {
    all: async <T>(sql: string, params?: Params) => (await query<T>(sql, params)).rows as T[],
    get: async <T>(sql: string, params?: Params) => (await query<T>(sql, params)).rows[0] as T | undefined,
    async value<T>(sql: string, params?: Params) {
      const result = await client.query({ ...statement(sql), values: params as unknown[], rowMode: 'array' });
      return (result.rows[0] as unknown[] | undefined)?.[0] as T | undefined;
    },
    run: async (sql: string, params?: Params): Promise<RunResult> => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
  };
}

const RETRIES = 5;
// serialization_failure, deadlock_detected, unique_violation (a row another instance inserted meanwhile)
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const retryable = (error: unknown): boolean => error instanceof RetryTransaction || (error instanceof pg.DatabaseError && RETRYABLE.has(error.code ?? ''));

/**
 * The PostgreSQL store's driver: reads on a pool of their own, each transaction on one connection of another, READ COMMITTED, rows
 * locked where a transaction decides on what it read (`Dialect.forUpdate`, advisory locks through `lock`), and
 * run again from the start when it lost a race with another instance. `synchronous_commit` is on for every
 * connection: a commit is on disk before the API answers.
 */
export function postgresDriver(connectionString: string, log: (line: string) => void): SqlDb {
  const url = new URL(connectionString);
  // a commit the API acknowledges is on disk, whatever the server's default (set at connection start, beside any
  // options the URL brings, e.g. a search_path)
  url.searchParams.set('options', [url.searchParams.get('options'), '-c synchronous_commit=on'].filter(Boolean).join(' '));
  // Transactions and single statements outside one have a pool each: an ingest transaction holds its connection
  // while it waits for its device's row lock, and a dozen batches in flight would otherwise leave a consent check
  // queued for a connection behind them (docs/benchmarks.md, Consent check).
  const pool = new pg.Pool({ connectionString: url.toString(), types, max: 10 });
  const readPool = new pg.Pool({ connectionString: url.toString(), types, max: 10 });
  // an idle connection that breaks (the server restarted) must not take the API down; the next query reconnects
  for (const each of [pool, readPool]) each.on('error', (error) => log(`store: a PostgreSQL connection failed (${error.message})`));
  const reads = queriesOn(readPool);

  async function transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    const queries = queriesOn(client);
    const tx: SqlTx = {
      ...queries,
      async insertRows(spec: RowInsert, rows: readonly Params[]): Promise<void> {
        if (rows.length === 0) return;
        const columns = spec.columns.map((c) => c.name).join(', ');
        const arrays = spec.columns.map((c) => `CAST(? AS ${c.type}[])`).join(', ');
        await queries.run(`INSERT INTO ${spec.table} (${columns}) SELECT * FROM unnest(${arrays}) ${spec.conflict ?? ''}`, spec.columns.map((_, i) => rows.map((row) => row[i])));
      },
      async lock(keys: readonly string[]): Promise<void> {
        const sorted = [...new Set(keys)].sort();
        if (sorted.length > 0) await queries.run('SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(CAST(? AS text[])) AS k', [sorted]);
      },
    };
    try {
      for (let attempt = 1; ; attempt++) {
        await client.query('BEGIN');
        try {
          const result = await fn(tx);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          if (attempt >= RETRIES || !retryable(error)) throw error;
        }
      }
    } finally {
      client.release();
    }
  }

  return {
    dialect,
    ...reads,
    run: (sql, params) => transaction((t) => t.run(sql, params)),
    transaction,
    close: async () => {
      await Promise.all([pool.end(), readPool.end()]);
    },
  };
}

// disk_full; every other failure of the database or the connection to it: unavailable (retry later)
export function postgresFailure(error: unknown): StorageFailure | null {
  if (error instanceof pg.DatabaseError) return error.code === '53100' ? 'full' : 'unavailable';
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)$/.test(code) ? 'unavailable' : null;
}
