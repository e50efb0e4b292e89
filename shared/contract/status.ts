import { z } from 'zod';
import { IsoTimestamp, Sha256Hex } from './primitives.ts';

export const OutboxCounts = z.object({
  pending: z.number().int().min(0),
  synced: z.number().int().min(0),
  dead: z.number().int().min(0),
});

export const SyncState = z.enum(['disabled', 'idle', 'syncing', 'offline', 'needs_enrolment']);
export type SyncState = z.infer<typeof SyncState>;

export const SyncStatus = z.object({
  state: SyncState,
  lastSuccessAt: IsoTimestamp.nullable(),
  lastError: z.string().max(500).nullable(),
  // Added by the sync worker (optional, so older producers still parse): what a technician needs to judge a backlog.
  pending: z.number().int().min(0).optional(),
  oldestPendingAgeMs: z.number().int().min(0).nullable().optional(),
  lastAttemptAt: IsoTimestamp.nullable().optional(),
  nextAttemptAt: IsoTimestamp.nullable().optional(),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

/** What a technician (diagnostics screen, `kioskctl status`) and the renderer's indicator read. */
export const KioskStatus = z.object({
  deviceId: z.uuid(),
  keyId: z.string(),
  schemaVersion: z.number().int(),
  outbox: OutboxCounts,
  oldestPendingAgeMs: z.number().int().min(0).nullable(),
  chainHead: z.object({ seq: z.number().int(), hash: Sha256Hex }).nullable(),
  sync: SyncStatus,
});
export type KioskStatus = z.infer<typeof KioskStatus>;
