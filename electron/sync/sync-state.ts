import { join } from 'node:path';
import { z } from 'zod';
import { SyncStatus } from '../../shared/contract/status.ts';
import { IsoTimestamp } from '../../shared/contract/primitives.ts';
import { readJsonFile, writeJsonAtomic } from './json-file.ts';

/**
 * The sync worker's state as a small JSON file in the data dir, so `kioskctl status` (another process) can show it,
 * with the device clock's offset as the last clock observation measured it (null before the first).
 */
export const SYNC_STATE_FILE = 'sync-state.json';

export const PersistedSyncState = SyncStatus.extend({
  clockOffsetMs: z.number().int().nullable(),
  updatedAt: IsoTimestamp,
});
export type PersistedSyncState = z.infer<typeof PersistedSyncState>;

export function readSyncState(dataDir: string): PersistedSyncState | null {
  return readJsonFile(join(dataDir, SYNC_STATE_FILE), PersistedSyncState);
}

export function writeSyncState(dataDir: string, state: PersistedSyncState): void {
  writeJsonAtomic(join(dataDir, SYNC_STATE_FILE), state);
}

/** The sync lines of `kioskctl status`, read from the state file the running host keeps. */
export function describeSyncState(state: PersistedSyncState | null): string[] {
  if (!state) return ['Sync            never run (no sync-state.json yet)'];
  const lines = [`Sync            ${state.state.replace('_', ' ')} as of ${state.updatedAt}`];
  lines.push(`Last sync       ${state.lastSuccessAt ?? 'never'}`);
  if (state.nextAttemptAt) lines.push(`Next attempt    ${state.nextAttemptAt}`);
  if (state.clockOffsetMs !== null) lines.push(`Clock offset    ${state.clockOffsetMs} ms (API time minus device time, last clock observation)`);
  if (state.lastError) lines.push(`Last sync error ${state.lastError}`);
  if (state.state === 'needs_enrolment') lines.push('                enrol the kiosk again with a new enrolment token');
  return lines;
}
