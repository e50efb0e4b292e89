import type Database from 'better-sqlite3';
import { SignedApiStatement } from '../../shared/contract/api-statement.ts';
import type { CaptureResult, ConsentDraft } from '../../shared/contract/capture.ts';
import { KioskFailure, parseOrFail } from '../../shared/contract/errors.ts';
import type { FunnelCount, FunnelReport } from '../../shared/contract/funnel.ts';
import type { ExportBreak } from '../../shared/contract/ledger-export.ts';
import type { ConsentTerms } from '../../shared/contract/profile.ts';
import type { KioskStatus } from '../../shared/contract/status.ts';
import { prepareCapture } from './capture.ts';
import { prepareChainAppend } from './chain-append.ts';
import { systemClock, type LedgerClock } from './clock.ts';
import { prepareClockObservation, type RecordedObservation } from './clock-observation.ts';
import { clockQuality } from './clock-quality.ts';
import { ensureDevice, readDevice, readDeviceKeys, type DeviceKey } from './device-identity.ts';
import { exportRecords, type ExportRecord, type HeadSigner } from './event-export.ts';
import { openFileKeyVault } from './file-key-vault.ts';
import { funnelCounters } from './funnel.ts';
import type { KeyVault, SecretSealing } from './key-vault.ts';
import { prepareKeyRotation, type RotatedKey } from './key-rotation.ts';
import { prepareServiceEvent, type RecordedServiceEvent } from './service-event.ts';
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from './migrate.ts';
import { checkIntegrity, openLedgerDatabase, type IntegrityDepth } from './open-database.ts';
import { outboxQueue, type DeadLetter, type OutboxItem, type OutboxJsonItem } from './outbox.ts';
import { DEFAULT_RETENTION_DAYS, purgeOpenings } from './retention.ts';
import { withStorageErrors } from './storage-errors.ts';
import { verifyChain, type ChainCounts, type VerifyReport } from './verify-chain.ts';

export type LedgerStatus = Omit<KioskStatus, 'sync'>;

export type ExportRequest = {
  personalData: boolean;
  /** The break `verify` reported, for an export made anyway (`--allow-broken`): the export records it. */
  breakage?: ExportBreak | null;
};

/** What the CLI needs: reading, verifying and exporting, never writing. */
export interface LedgerReader {
  status(): LedgerStatus;
  funnelCounts(): FunnelCount[];
  verify(): VerifyReport;
  checkIntegrity(depth?: IntegrityDepth): string[];
  /** Every key the device has signed with, from the first. */
  keys(): DeviceKey[];
  /** Events per type, as the bodies say: only consents are consents. */
  eventCounts(): ChainCounts;
  /** Header, every event (with `personalData`, each consent's decrypted subject opening), the API statement, the signed head. */
  exportRecords(request: ExportRequest): Generator<ExportRecord>;
  close(): void;
}

/** A reading of the ledger's clocks, for the clock observation the sync worker makes around a request. */
export type ClockReading = { at: string; monoMs: number };

/** Also seals the sync worker's credential with the key vault's sealer (the OS keychain under Electron). */
export interface Ledger extends LedgerReader, SecretSealing {
  readonly deviceId: string;
  /** The current key's id and raw Ed25519 public key (base64url); they change with `rotateKey`. */
  readonly keyId: string;
  readonly publicKey: string;
  capture(draft: ConsentDraft, terms: ConsentTerms): CaptureResult;
  recordFunnel(report: FunnelReport): void;
  readOutbox(limit: number, afterSeq?: number): OutboxItem[];
  /** The same pending events as JSON texts, ready for the sync worker's request body. */
  readOutboxJson(limit: number, afterSeq?: number): OutboxJsonItem[];
  applySyncResults(results: Array<{ id: string; status: 'accepted' | 'duplicate' | 'rejected'; reason?: string }>): void;
  noteSyncFailure(ids: string[], message: string): void;
  /** The highest seq the central API has acknowledged, 0 before the first. */
  lastSyncedSeq(): number;
  readClock(): ClockReading;
  /** Monotonic milliseconds since this boot's last clock observation; null when this boot has none yet. */
  clockObservationAgeMs(): number | null;
  /** Appends a clock observation (the API's statement and the readings around its request) to the chain. */
  recordClockObservation(input: unknown): RecordedObservation;
  /** Appends a key rotation signed by the current key, then signs with the next one. */
  rotateKey(reason: unknown): RotatedKey;
  /** The events the central API refused, with its reasons, oldest first. */
  deadLetters(limit: number): DeadLetter[];
  /** Every dead letter back to pending; returns how many. */
  requeueDead(): number;
  /** The clock's last observation this boot: offset from the API's clock, and whether the clock is known-good now. */
  clockReading(): ReturnType<ReturnType<typeof clockQuality>['reading']>;
  /** Appends a technician's session or action (a service event, never a consent) to the chain. */
  recordServiceEvent(input: unknown): RecordedServiceEvent;
  /** Keeps the API's latest statement (already verified against its pinned keys) for the export. */
  saveApiStatement(statement: SignedApiStatement): void;
  /** The retention job: erases subject openings of events synced more than `retentionDays` ago. */
  purgePersonalData(now?: Date): number;
}

export type OpenLedgerOptions = {
  dataDir: string;
  vault?: KeyVault;
  clock?: LedgerClock;
  retentionDays?: number;
  /** No other process may have the ledger open meanwhile (kioskctl rotate-key: never beside a running kiosk). */
  exclusive?: boolean;
};

/** Opens (creating on first run) the ledger in `dataDir`, migrated to the latest schema, ready to capture. */
export function openLedger(options: OpenLedgerOptions): Ledger {
  const clock = options.clock ?? systemClock;
  const vault = options.vault ?? openFileKeyVault(options.dataDir);
  const db = openLedgerDatabase(options.dataDir, { create: true, exclusive: options.exclusive ?? false });
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
    const quality = withStorageErrors(() => clockQuality(db, clock));
    const chain = prepareChainAppend(db, device.deviceId, vault, clock, quality);
    const capture = prepareCapture(db, vault, chain, funnel);
    const recordClockObservation = prepareClockObservation(db, chain, clock, quality);
    const rotateKey = prepareKeyRotation(db, chain, vault);
    const recordServiceEvent = prepareServiceEvent(db, chain);
    const saveStatement = db.prepare(
      `INSERT INTO api_statement (singleton, statement, received_at) VALUES (1, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET statement = excluded.statement, received_at = excluded.received_at`,
    );
    const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    return {
      ...readerOver(db, clock, { dataKey: vault.dataKey(), expectedPublicKey: () => vault.publicKey, signer: vault }),
      deviceId: device.deviceId,
      get keyId() {
        return vault.keyId;
      },
      get publicKey() {
        return vault.publicKey.toString('base64url');
      },
      capture,
      recordFunnel: funnel.record,
      readOutbox: outbox.read,
      readOutboxJson: outbox.readJson,
      applySyncResults: outbox.applyResults,
      noteSyncFailure: outbox.noteFailure,
      lastSyncedSeq: outbox.lastSyncedSeq,
      readClock: () => ({ at: clock.now().toISOString(), monoMs: clock.monoMs() }),
      clockObservationAgeMs: () => quality.ageMs(clock.monoMs()),
      clockReading: () => quality.reading(clock.now().getTime(), clock.monoMs()),
      deadLetters: outbox.deadLetters,
      requeueDead: outbox.requeueDead,
      recordClockObservation,
      rotateKey,
      recordServiceEvent,
      saveApiStatement: (input) => {
        const statement = parseOrFail(SignedApiStatement, input, 'API statement');
        withStorageErrors(() => saveStatement.run(JSON.stringify(statement), clock.now().toISOString()));
      },
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
  /** The key vault's current public key, if known: verify then also checks the ledger's current key is that key. */
  expectedPublicKey?: Buffer;
  /** The device key as the tool could unseal it: signs the export's head statement. */
  signer?: HeadSigner;
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
    const expected = options.expectedPublicKey;
    return readerOver(db, options.clock ?? systemClock, {
      dataKey: options.dataKey ?? null,
      expectedPublicKey: () => expected,
      signer: options.signer ?? null,
    });
  } catch (error) {
    db.close();
    throw error;
  }
}

const UNSIGNED_HEAD = 'The device key is sealed by the kiosk\'s OS keychain and could not be used by the exporting tool.';

function readerOver(
  db: Database.Database,
  clock: LedgerClock,
  keys: { dataKey: Buffer | null; expectedPublicKey: () => Buffer | undefined; signer: HeadSigner | null },
): LedgerReader {
  const funnel = funnelCounters(db, clock);
  const outbox = outboxQueue(db, clock, () => keys.dataKey);
  const selectHead = db.prepare('SELECT seq, hash FROM chain_head WHERE singleton = 1');
  // version 1 bodies have no type: they are all consents
  const countByType = db.prepare(
    "SELECT coalesce(body ->> '$.type', 'consent') AS type, COUNT(*) AS n FROM events WHERE json_valid(body) GROUP BY 1",
  );
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
    verify: () => {
      const expectedPublicKey = keys.expectedPublicKey();
      return verifyChain(db, { ...(keys.dataKey ? { dataKey: keys.dataKey } : {}), ...(expectedPublicKey ? { expectedPublicKey } : {}) });
    },
    checkIntegrity: (depth) => checkIntegrity(db, depth),
    keys: () => withStorageErrors(() => readDeviceKeys(db)),
    eventCounts: () =>
      withStorageErrors(() => {
        const counts: ChainCounts = { consent: 0, clock_observation: 0, key_rotation: 0, service: 0 };
        for (const row of countByType.all() as Array<{ type: string; n: number }>) {
          if (Object.hasOwn(counts, row.type)) counts[row.type as keyof ChainCounts] = row.n;
        }
        return counts;
      }),
    exportRecords: ({ personalData, breakage = null }) => {
      if (personalData && !keys.dataKey) {
        throw new KioskFailure('forbidden', 'Personal data cannot be decrypted here; export with --no-personal-data.');
      }
      return exportRecords(db, {
        dataKey: personalData ? keys.dataKey : null,
        now: clock.now(),
        signer: keys.signer ?? { unsigned: UNSIGNED_HEAD },
        breakage,
      });
    },
    close: () => db.close(),
  };
}
