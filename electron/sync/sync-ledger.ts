import type { SignedApiStatement } from '../../shared/contract/api-statement.ts';
import type { FunnelCount } from '../../shared/contract/funnel.ts';
import type { KioskStatus } from '../../shared/contract/status.ts';
import type { IngestResult } from '../../shared/contract/sync.ts';
import type { ClockReading } from '../ledger/ledger.ts';
import type { RecordedObservation } from '../ledger/clock-observation.ts';
import type { DeviceKey } from '../ledger/device-identity.ts';
import type { SecretSealing } from '../ledger/key-vault.ts';
import type { OutboxJsonItem } from '../ledger/outbox.ts';

export type LedgerSyncResult = { id: string; status: IngestResult['status']; reason?: string };

/**
 * What the sync worker needs from the ledger (electron/ledger): the outbox, a place to record what the API said,
 * the device clocks and the chain's clock observations, and the key vault's sealer for the device credential.
 */
export type SyncLedger = SecretSealing & {
  readonly deviceId: string;
  /** The device's keys from the first, each valid from its `fromSeq`; key rotation events name all but the first. */
  keys(): DeviceKey[];
  /** The highest seq the central API has acknowledged, 0 before the first. */
  lastSyncedSeq(): number;
  /**
   * Pending events in sequence order after `afterSeq`, at most `limit` of them (ending at a key rotation), each as
   * the JSON text of its IngestItem: the request body is put together from these texts.
   */
  readOutboxJson(limit: number, afterSeq?: number): OutboxJsonItem[];
  /** Marks accepted/duplicate events synced and rejected ones dead (with the reason), in one transaction. */
  applySyncResults(results: LedgerSyncResult[]): void;
  noteSyncFailure(ids: string[], message: string): void;
  readClock(): ClockReading;
  clockObservationAgeMs(): number | null;
  recordClockObservation(input: unknown): RecordedObservation;
  saveApiStatement(statement: SignedApiStatement): void;
  status(): Pick<KioskStatus, 'outbox' | 'oldestPendingAgeMs'>;
  funnelCounts(): FunnelCount[];
};
