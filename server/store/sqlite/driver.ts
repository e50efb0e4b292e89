import type Database from 'better-sqlite3';
import { SqliteError } from 'better-sqlite3';
import type { Dialect, RowInsert, RunResult, SqlDb, SqlTx, StorageFailure } from '../sql.ts';

type Params = readonly unknown[];

const dialect: Dialect = {
  name: 'sqlite',
  inList: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  list: (values) => JSON.stringify(values),
  forUpdate: '',
  jsonText: (column, path) => `json_extract(${column}, '$.${path.join('.')}')`,
};

/** Prepared once per connection and SQL text: better-sqlite3 statements are cheap to run, not to prepare. */
function statements(db: Database.Database) {
  const cache = new Map<string, Database.Statement>();
  return (sql: string): Database.Statement => {
    let statement = cache.get(sql);
    if (!statement) cache.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
}

function queriesOn(db: Database.Database) {
  const prepared = statements(db);
  return {
    all: async <T>(sql: string, params: Params = []) => prepared(sql).all(...params) as T[],
    get: async <T>(sql: string, params: Params = []) => prepared(sql).get(...params) as T | undefined,
    value: async <T>(sql: string, params: Params = []) => prepared(sql).pluck().get(...params) as T | undefined,
    run: async (sql: string, params: Params = []): Promise<RunResult> => ({ changes: prepared(sql).run(...params).changes }),
    prepared,
  };
}

export interface SqliteDb extends SqlDb {
  /** The one connection that writes; the ingest hot path prepares its statements on it (used only inside `transaction`). */
  writer: Database.Database;
  /** Truncates the WAL, so pages a change replaced (clear personal data among them) do not linger in it. */
  truncateWal(): void;
}

/**
 * The SQLite store's driver: one connection writes, under an async mutex, in `BEGIN IMMEDIATE` transactions
 * (so another process on the same file — `npm run server:token` — waits rather than interleaving); a second one
 * reads, and sees only what is committed. A long transaction may therefore yield the event loop (ingest does, every
 * few dozen events) and consent checks go on answering from committed state meanwhile.
 */
export function sqliteDriver(writer: Database.Database, reader: Database.Database): SqliteDb {
  const reads = queriesOn(reader);
  const writes = queriesOn(writer);
  let tail: Promise<unknown> = Promise.resolve();

  const tx: SqlTx = {
    all: writes.all,
    get: writes.get,
    value: writes.value,
    run: writes.run,
    async insertRows(spec: RowInsert, rows: readonly Params[]): Promise<void> {
      const statement = writes.prepared(
        `INSERT INTO ${spec.table} (${spec.columns.map((c) => c.name).join(', ')}) VALUES (${spec.columns.map(() => '?').join(', ')}) ${spec.conflict ?? ''}`,
      );
      for (const row of rows) statement.run(...row);
    },
    lock: async () => {},
  };

  async function transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const previous = tail;
    let release!: () => void;
    tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      writes.prepared('BEGIN IMMEDIATE').run();
      try {
        const result = await fn(tx);
        writes.prepared('COMMIT').run();
        return result;
      } catch (error) {
        if (writer.inTransaction) writes.prepared('ROLLBACK').run();
        throw error;
      }
    } finally {
      release();
    }
  }

  return {
    dialect,
    all: reads.all,
    get: reads.get,
    value: reads.value,
    run: (sql, params) => transaction((t) => t.run(sql, params)),
    transaction,
    writer,
    truncateWal: () => writer.pragma('wal_checkpoint(TRUNCATE)'),
    async close() {
      await tail;
      reader.close();
      writer.close();
    },
  };
}

export function sqliteFailure(error: unknown): StorageFailure | null {
  if (!(error instanceof SqliteError)) return null;
  return error.code === 'SQLITE_FULL' ? 'full' : 'unavailable';
}
