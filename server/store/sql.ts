/**
 * The one SQL layer both stores share. Every repository writes its statements once, in the subset SQLite and
 * PostgreSQL both speak (`?` placeholders, quoted camelCase aliases, `ON CONFLICT`, `RETURNING`, row values, window
 * functions); the few places where they differ go through `Dialect`. A driver runs them: better-sqlite3
 * (server/store/sqlite/driver.ts) or pg (server/store/postgres/driver.ts).
 */

export interface RunResult {
  changes: number;
}

/** A column of a multi-row insert, with its PostgreSQL type (the array an `unnest` reads it from is cast to `type[]`). */
export interface InsertColumn {
  name: string;
  type: 'text' | 'bigint' | 'integer' | 'bytea';
}

/** A table many rows go into at once: SQLite runs one prepared statement per row, PostgreSQL one statement for all. */
export interface RowInsert {
  table: string;
  columns: readonly InsertColumn[];
  /** Appended after the rows, e.g. `ON CONFLICT (id) DO NOTHING`. */
  conflict?: string;
}

export interface SqlQueries {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** The first column of the first row. */
  value<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  run(sql: string, params?: readonly unknown[]): Promise<RunResult>;
}

export interface SqlTx extends SqlQueries {
  /** Rows in the order of `spec.columns`. */
  insertRows(spec: RowInsert, rows: readonly (readonly unknown[])[]): Promise<void>;
  /**
   * Holds `keys` (sorted here, so two transactions never wait on each other in a cycle) until this transaction
   * ends: PostgreSQL's advisory locks, for what has no row to lock yet (a subject's current state, the statement
   * keys). SQLite has one writer at a time already.
   */
  lock(keys: readonly string[]): Promise<void>;
}

export interface Dialect {
  name: 'sqlite' | 'postgres';
  /** `column` (of `type`, text unless said) is one of the values bound, as one parameter, with `list(values)`. */
  inList(column: string, type?: 'text' | 'bigint'): string;
  list(values: readonly (string | number)[]): unknown;
  /** Appended to a SELECT inside a transaction that decides on what it read. */
  forUpdate: string;
  /** A text field of a JSON text column (the path as keys). */
  jsonText(column: string, path: readonly string[]): string;
}

export interface SqlDb extends SqlQueries {
  dialect: Dialect;
  /**
   * Runs `fn` in one transaction and commits it (durably) before resolving. On PostgreSQL a transaction that lost a
   * race to another instance (a deadlock, a unique key inserted meanwhile, `RetryTransaction`) is run again from the
   * start: `fn` must do nothing outside the transaction it cannot do twice.
   */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Thrown inside a transaction whose plan another instance invalidated meanwhile: it is rolled back and run again. */
export class RetryTransaction extends Error {}

/** A storage failure as the API reports it (app.ts): out of space, or the database could not be used. */
export type StorageFailure = 'full' | 'unavailable';

/**
 * A statement written with `@name` parameters, bound positionally: both drivers bind positions fastest (an object of
 * fifteen names cost better-sqlite3 more than the insert itself), and a name used twice is still bound once here.
 */
export function named(sql: string): { sql: string; bind: (values: Record<string, unknown>) => unknown[] } {
  const names: string[] = [];
  const text = sql.replace(/@([A-Za-z]\w*)/g, (_, name: string) => {
    names.push(name);
    return '?';
  });
  return {
    sql: text,
    bind: (values) =>
      names.map((name) => {
        if (!(name in values)) throw new Error(`no value for @${name}`);
        return values[name];
      }),
  };
}
