import { loadDataKey, type DataKey } from '../keys/data-key.ts';
import { loadStatementKey } from '../keys/statement-key.ts';
import { createApiKeyRegistry } from './api-keys.ts';
import { createAuditExport } from './audit-export.ts';
import { createBusinessRegistry } from './business-registry.ts';
import type { ChainWrites } from './chain-writes.ts';
import { createConsentHistory } from './consent-history.ts';
import { createConsentStates } from './consent-states.ts';
import { createConsoleAccounts } from './console-accounts.ts';
import { createConsoleAudit } from './console-audit.ts';
import { createDeviceHealth } from './device-health.ts';
import { createDeviceRegistry } from './device-registry.ts';
import { createErasure } from './erasure.ts';
import { createEventStore } from './event-store.ts';
import { createEventTimes } from './event-times.ts';
import { createOperatorLog } from './operator-log.ts';
import { createProfilePublications } from './profile-publications.ts';
import { openPostgres } from './postgres/open-database.ts';
import { postgresChainWrites } from './postgres/chain-writes.ts';
import { postgresFailure } from './postgres/driver.ts';
import type { SqlDb, SqlTx, StorageFailure } from './sql.ts';
import { sqliteChainWrites } from './sqlite/chain-writes.ts';
import { sqliteFailure } from './sqlite/driver.ts';
import { openDatabase, prepareDataDir } from './sqlite/open-database.ts';
import { createWhatsAppLog } from './whatsapp-log.ts';

export interface StoreOptions {
  dataDir: string;
  /** PostgreSQL (`postgres://…`); unset: the embedded SQLite file in `dataDir`. */
  databaseUrl?: string;
  statementKeyFile?: string;
  dataKeyFile?: string;
  clockToleranceMs: number;
}

/** How the two stores differ beyond their SQL driver. */
interface Backend {
  kind: 'sqlite' | 'postgres';
  db: SqlDb;
  writesFor: (tx: SqlTx, batchIds: readonly string[]) => ChainWrites;
  failure: (error: unknown) => StorageFailure | null;
  afterErasure: () => void;
  /** How stale the in-memory business registry may be: another instance (or process, on SQLite) may register one. */
  registryMaxAgeMs: number;
}

async function openBackend(options: StoreOptions, dataKey: DataKey, log: (line: string) => void): Promise<Backend> {
  const context = { clockToleranceMs: options.clockToleranceMs, dataKey };
  if (options.databaseUrl !== undefined) {
    return {
      kind: 'postgres',
      db: await openPostgres(options.databaseUrl, context, log),
      writesFor: postgresChainWrites,
      failure: postgresFailure,
      // PostgreSQL has no secure_delete: what an erasure deleted stays in free space and WAL until reused, sealed (docs/server.md)
      afterErasure: () => {},
      registryMaxAgeMs: 1_000,
    };
  }
  const db = openDatabase(options.dataDir, context);
  return { kind: 'sqlite', db, writesFor: sqliteChainWrites, failure: sqliteFailure, afterErasure: () => db.truncateWal(), registryMaxAgeMs: 1_000 };
}

/**
 * The server's database and the repositories over it: PostgreSQL when a `databaseUrl` is given (any number of API
 * instances may share it), else one SQLite file in `dataDir` (one instance). Both speak the same SQL
 * (server/store/sql.ts); the key files live in `dataDir` unless configured elsewhere.
 */
export async function openStore(options: StoreOptions, now: () => Date = () => new Date(), log: (line: string) => void = (line) => console.error(line)) {
  prepareDataDir(options.dataDir);
  const dataKey = loadDataKey(options);
  const backend = await openBackend(options, dataKey, log);
  const { db } = backend;
  try {
    const operators = createOperatorLog(db, now);
    const statements = await loadStatementKey(options, createApiKeyRegistry(db, now), now, backend.kind === 'postgres');
    const devices = createDeviceRegistry(db, operators, now);
    const states = createConsentStates(db, db.dialect);
    const businesses = createBusinessRegistry(db, { operators, states, now, maxAgeMs: backend.registryMaxAgeMs });
    const whatsapp = createWhatsAppLog(db, { dataKey, states, now });
    return {
      kind: backend.kind,
      db,
      statements,
      operators,
      devices,
      businesses,
      whatsapp,
      states,
      events: createEventStore(db, backend.writesFor, { devices, statements, times: createEventTimes(options.clockToleranceMs), dataKey, states, now }),
      history: createConsentHistory(db, dataKey),
      health: createDeviceHealth(db),
      consoleAccounts: createConsoleAccounts(db, now),
      consoleAudit: createConsoleAudit(db, now),
      profiles: createProfilePublications(db, { operators, now }),
      audit: createAuditExport(db, { dataKey, devices, whatsapp }),
      erasure: createErasure(db, { dataKey, operators, states, now, afterErasure: backend.afterErasure }),
      lookup: dataKey.lookup,
      /** Why a store call failed, as the API reports it; null for a failure that is not the store's. */
      failure: backend.failure,
      close: () => db.close(),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

export type Store = Awaited<ReturnType<typeof openStore>>;
