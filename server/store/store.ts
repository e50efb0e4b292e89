import { openDatabase } from './open-database.ts';
import { loadPhoneKey } from './phone-key.ts';
import { createDeviceRegistry } from './device-registry.ts';
import { createEventStore } from './event-store.ts';
import { createConsentHistory } from './consent-history.ts';
import { createDeviceHealth } from './device-health.ts';
import { createAuditExport } from './audit-export.ts';

/** The server's one database and the repositories over it; one connection, so writes are serialised. */
export function openStore(dataDir: string, now: () => Date = () => new Date()) {
  const db = openDatabase(dataDir);
  const phoneKey = loadPhoneKey(db);
  return {
    db,
    phoneKey,
    devices: createDeviceRegistry(db, now),
    events: createEventStore(db, phoneKey, now),
    history: createConsentHistory(db, phoneKey, now),
    health: createDeviceHealth(db),
    audit: createAuditExport(db, phoneKey),
    close: () => db.close(),
  };
}

export type Store = ReturnType<typeof openStore>;
