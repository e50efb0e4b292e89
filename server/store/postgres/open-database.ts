import type { MigrationContext } from '../sqlite/migrate.ts';
import type { SqlDb } from '../sql.ts';
import { postgresDriver } from './driver.ts';
import { migratePostgres } from './migrate.ts';
import { postgresMigrations } from './migrations/index.ts';

/** Connects to the database at `url` and migrates it to the latest version (safe while other instances start too). */
export async function openPostgres(url: string, context: MigrationContext, log: (line: string) => void): Promise<SqlDb> {
  const db = postgresDriver(url, log);
  try {
    await migratePostgres(db, postgresMigrations, context);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}
