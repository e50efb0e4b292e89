import { statfsSync } from 'node:fs';
import type { KioskErrorCode } from '../../shared/contract/errors.ts';
import type { DegradedReason } from '../../shared/contract/host-api.ts';

/** Below this much free space in the data directory an offer fails at once with `ledgerFull`. */
export const LOW_SPACE_BYTES = 512 * 1024;
/** After a ledger write failed, offers fail at once for this long; then the next one tries the ledger again. */
export const FAILURE_HOLD_MS = 30_000;

export type KioskHealth = {
  /** What would make an offer fail right now; empty when a consent could be recorded. */
  reasons(): DegradedReason[];
  noteCaptureFailed(code: KioskErrorCode): void;
  noteCaptureSucceeded(): void;
};

const reasonFor: Partial<Record<KioskErrorCode, DegradedReason>> = {
  storage_full: 'ledgerFull',
  storage_unavailable: 'ledgerUnavailable',
  ledger_corrupt: 'ledgerUnavailable',
};

/**
 * Whether the ledger can take a consent now, judged before the customer is asked: the free space of the data
 * directory, and the ledger's last write failure for a while after it happened. So a full disk or a broken ledger
 * costs the host's transaction a quick `failed`, not a customer's time spent on a step that cannot be saved.
 */
export function kioskHealth(options: { dataDir: string; now?: () => number }): KioskHealth {
  const now = options.now ?? Date.now;
  let lastFailure: { reason: DegradedReason; at: number; freeBytes: number } | null = null;

  const freeBytes = (): number => {
    try {
      const stats = statfsSync(options.dataDir);
      return stats.bavail * stats.bsize;
    } catch {
      return Number.POSITIVE_INFINITY; // statfs unsupported: the ledger's own errors still tell
    }
  };

  return {
    reasons: () => {
      const reasons = new Set<DegradedReason>();
      const free = freeBytes();
      if (free < LOW_SPACE_BYTES) reasons.add('ledgerFull');
      // A disk that ran full is fine again as soon as space was freed; other failures are given a while.
      const spaceReturned = lastFailure?.reason === 'ledgerFull' && free >= lastFailure.freeBytes + LOW_SPACE_BYTES;
      if (lastFailure && !spaceReturned && now() - lastFailure.at < FAILURE_HOLD_MS) reasons.add(lastFailure.reason);
      return [...reasons];
    },
    noteCaptureFailed: (code) => {
      const reason = reasonFor[code];
      if (reason) lastFailure = { reason, at: now(), freeBytes: freeBytes() };
    },
    noteCaptureSucceeded: () => {
      lastFailure = null;
    },
  };
}
