import type Database from 'better-sqlite3';
import type { CaptureResult, ConsentDraft } from '../../shared/contract/capture.ts';
import { KioskFailure } from '../../shared/contract/errors.ts';
import type { FunnelCount, FunnelReport } from '../../shared/contract/funnel.ts';
import type { ConsentTerms } from '../../shared/contract/profile.ts';
import type { KioskStatus } from '../../shared/contract/status.ts';
import { prepareCapture } from './capture.ts';
import { systemClock, type LedgerClock } from './clock.ts';
import { ensureDevice, readDevice } from './device-identity.ts';
import { exportRecords, type ExportedEvent, type ExportHeader } from './event-export.ts';
import { openFileKeyVault } from './file-key-vault.ts';
import { funnelCounters } from './funnel.ts';
import type { KeyVault, SecretSealing } from './key-vault.ts';
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from './migrate.ts';
import { checkIntegrity, openLedgerDatabase, type IntegrityDepth } from './open-database.ts';
import { outboxQueue, type OutboxItem, type OutboxJsonItem } from './outbox.ts';
import { DEFAULT_RETENTION_DAYS, purgeOpenings } from './retention.ts';
import { withStorageErrors } from './storage-errors.ts';
import { verifyChain, type VerifyReport } from './verify-chain.ts';

export type LedgerStatus = Omit<KioskStatus, 'sync'>;

/** What the CLI needs: reading, verifying and exporting, never writing. */
export interface LedgerReader {
  status(): LedgerStatus;
  funnelCounts(): FunnelCount[];
  verify(): VerifyReport;
  checkIntegrity(depth?: IntegrityDepth): string[];
  /** Header line, then every event; with `personalData`, each decrypted subject opening too. */
  exportRecords(options: { personalData: boolean }): Generator<ExportHeader | ExportedEvent>;
  close(): void;
}

/** Also seals the sync worker's credential with the key vault's sealer (the OS keychain under Electron). */
export interface Ledger extends LedgerReader, SecretSealing {
  readonly deviceId: string;
  readonly keyId: string;
  /** The device's raw Ed25519 public key, base64url: what enrolment registers with the central API. */
  readonly publicKey: string;
  capture(draft: ConsentDraft, terms: ConsentTerms): CaptureResult;
  recordFunnel(report: FunnelReport): void;
  readOutbox(limit: number, afterSeq?: number): OutboxItem[];
  /** The same pending events as JSON texts, ready for the sync worker's request body. */
  readOutboxJson(limit: number, afterSeq?: number): OutboxJsonItem[];
  applySyncResults(results: Array<{ id: string; status: 'accepted' | 'duplicate' | 'rejected'; reason?: string }>): void;
  noteSyncFailure(ids: string[], message: string): void;
  /** The retention job: erases subject openings of events synced more than `retentionDays` ago. */
  purgePersonalData(now?: Date): number;
}

export type OpenLedgerOptions = {
  dataDir: string;
  vault?: KeyVault;
  clock?: LedgerClock;
  retentionDays?: number;
};

/** Opens (creating on first run) the ledger in `dataDir`, migrated to the latest schema, ready to capture. */
export function openLedger(options: OpenLedgerOptions): Ledger {
  const clock = options.clock ?? systemClock;
  const vault = options.vault ?? openFileKeyVault(options.dataDir);
  const db = openLedgerDatabase(options.dataDir, { create: true });
  try {
    withStorageErrors(() => migrate(db));
    const funnel = funnelCounters(db, clock);
    const device = withStorageErrors(() =>
      db
        .transaction(() => {
          funnel.fold();
          return ensureDevice(db, vault, clock.now());
        })
        .immediate(),
    );
    const outbox = outboxQueue(db, clock, () => vault.dataKey());
    const capture = prepareCapture(db, device, vault, clock, funnel);
    const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    return {
      ...readerOver(db, clock, { dataKey: vault.dataKey(), expectedPublicKey: vault.publicKey }),
      deviceId: device.deviceId,
      keyId: device.keyId,
      publicKey: device.publicKey.toString('base64url'),
      capture,
      recordFunnel: funnel.record,
      readOutbox: outbox.read,
      readOutboxJson: outbox.readJson,
      applySyncResults: outbox.applyResults,
      noteSyncFailure: outbox.noteFailure,
      purgePersonalData: (now = clock.now()) => purgeOpenings(db, now, retentionDays),
      sealerName: vault.sealerName,
      sealSecret: (plain) => vault.sealSecret(plain),
      unsealSecret: (sealed) => vault.unsealSecret(sealed),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

export type OpenLedgerReaderOptions = {
  dataDir: string;
  /** Needed only to decrypt subject openings (export with personal data, commitment checks in verify). */
  dataKey?: Buffer | null;
  /** The key vault's public key, if known: verify then also checks the ledger was signed by that key. */
  expectedPublicKey?: Buffer;
  clock?: LedgerClock;
};

/** Opens an existing ledger without creating, migrating or writing anything. */
export function openLedgerReader(options: OpenLedgerReaderOptions): LedgerReader {
  const db = openLedgerDatabase(options.dataDir, { create: false });
  try {
    withStorageErrors(() => db.pragma('query_only = ON'));
    const version = withStorageErrors(() => schemaVersion(db));
    if (version !== LATEST_SCHEMA_VERSION) {
      throw new KioskFailure(
        version === 0 ? 'not_found' : 'storage_unavailable',
        version === 0
          ? `${options.dataDir} holds an empty database, not a ledger.`
          : `The ledger has schema version ${version}; this tool reads version ${LATEST_SCHEMA_VERSION}. Start the kiosk once to migrate it.`,
      );
    }
    return readerOver(db, options.clock ?? systemClock, {
      dataKey: options.dataKey ?? null,
      expectedPublicKey: options.expectedPublicKey,
    });
  } catch (error) {
    db.close();
    throw error;
  }
}

function readerOver(
  db: Database.Database,
  clock: LedgerClock,
  keys: { dataKey: Buffer | null; expectedPublicKey: Buffer | undefined },
): LedgerReader {
  const funnel = funnelCounters(db, clock);
  const outbox = outboxQueue(db, clock, () => keys.dataKey);
  const selectHead = db.prepare('SELECT seq, hash FROM chain_head WHERE singleton = 1');
  return {
    status: () =>
      withStorageErrors(() => {
        const device = readDevice(db);
        if (!device) throw new KioskFailure('not_found', 'The ledger has no device identity yet.');
        const head = selectHead.get() as { seq: number; hash: string };
        return {
          deviceId: device.deviceId,
          keyId: device.keyId,
          schemaVersion: schemaVersion(db),
          ...outbox.status(),
          chainHead: head.seq === 0 ? null : head,
        };
      }),
    funnelCounts: funnel.counts,
    verify: () =>
      verifyChain(db, {
        ...(keys.dataKey ? { dataKey: keys.dataKey } : {}),
        ...(keys.expectedPublicKey ? { expectedPublicKey: keys.expectedPublicKey } : {}),
      }),
    checkIntegrity: (depth) => checkIntegrity(db, depth),
    exportRecords: ({ personalData }) => {
      if (personalData && !keys.dataKey) {
        throw new KioskFailure('forbidden', 'Personal data cannot be decrypted here; export with --no-personal-data.');
      }
      return exportRecords(db, { dataKey: personalData ? keys.dataKey : null, now: clock.now() });
    },
    close: () => db.close(),
  };
}
