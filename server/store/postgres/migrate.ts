import type { MigrationContext } from '../sqlite/migrate.ts';
import type { SqlDb, SqlTx } from '../sql.ts';

export interface PostgresMigration {
  version: number;
  name: string;
  up: (tx: SqlTx, context: MigrationContext) => Promise<void>;
}

/**
 * Applies every migration newer than the database's version (`schema_migrations`), each in its own transaction
 * with its version row. Instances starting at once take turns (an advisory lock per schema): the first migrates,
 * the others find it done. A database newer than this code is refused, as is one sealed with another data key.
 */
export async function migratePostgres(db: SqlDb, migrations: readonly PostgresMigration[], context: MigrationContext): Promise<void> {
  const latest = migrations.at(-1)?.version ?? 0;
  const schema = (await db.value<string>('SELECT current_schema()')) ?? 'public';
  for (;;) {
    const applied = await db.transaction(async (tx) => {
      await tx.lock([`migrations:${schema}`]);
      await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const current = (await tx.value<number>('SELECT COALESCE(MAX(version), 0) FROM schema_migrations')) ?? 0;
      if (current > latest) throw new Error(`database schema version ${current} is newer than this server (${latest}); refusing to start`);
      if (current > 0) {
        const held = await tx.value<string>(`SELECT value FROM meta WHERE key = 'data_key_id'`);
        if (held !== undefined && held !== context.dataKey.keyId) {
          throw new Error(`the data key (id ${context.dataKey.keyId}) is not the one this database was sealed with (id ${held}); configure that key`);
        }
      }
      const next = migrations.find((migration) => migration.version > current);
      if (next) {
        await next.up(tx, context);
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [next.version, next.name, new Date().toISOString()]);
      } else {
        await tx.run(`INSERT INTO meta (key, value) VALUES ('data_key_id', ?) ON CONFLICT DO NOTHING`, [context.dataKey.keyId]);
      }
      return next !== undefined;
    });
    if (!applied) return;
  }
}
