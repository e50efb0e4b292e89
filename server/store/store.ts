import { loadDataKey } from '../keys/data-key.ts';
import { loadStatementKey } from '../keys/statement-key.ts';
import { createApiKeyRegistry } from './api-keys.ts';
import { createAuditExport } from './audit-export.ts';
import { createBusinessRegistry } from './business-registry.ts';
import { createConsentHistory } from './consent-history.ts';
import { createDeviceHealth } from './device-health.ts';
import { createDeviceRegistry } from './device-registry.ts';
import { createErasure } from './erasure.ts';
import { createEventStore } from './event-store.ts';
import { createEventTimes } from './event-times.ts';
import { openDatabase, prepareDataDir } from './open-database.ts';
import { createOperatorLog } from './operator-log.ts';
import { createWhatsAppLog } from './whatsapp-log.ts';

export interface StoreOptions {
  dataDir: string;
  statementKeyFile?: string;
  dataKeyFile?: string;
  clockToleranceMs: number;
}

/** The server's one database and the repositories over it; one connection, so writes are serialised. */
export function openStore(options: StoreOptions, now: () => Date = () => new Date()) {
  prepareDataDir(options.dataDir);
  const dataKey = loadDataKey(options);
  const db = openDatabase(options.dataDir, { clockToleranceMs: options.clockToleranceMs, dataKey });
  try {
    const operators = createOperatorLog(db, now);
    const statements = loadStatementKey(options, createApiKeyRegistry(db, now), now);
    const devices = createDeviceRegistry(db, operators, now);
    const businesses = createBusinessRegistry(db, operators, now);
    const whatsapp = createWhatsAppLog(db, dataKey, now);
    return {
      db,
      statements,
      operators,
      devices,
      businesses,
      whatsapp,
      events: createEventStore(db, { devices, statements, times: createEventTimes(db, options.clockToleranceMs), dataKey, now }),
      history: createConsentHistory(db, dataKey),
      health: createDeviceHealth(db),
      audit: createAuditExport(db, { dataKey, devices, whatsapp }),
      erasure: createErasure(db, { dataKey, operators, now }),
      close: () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

export type Store = ReturnType<typeof openStore>;
