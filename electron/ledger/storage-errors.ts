import Database from 'better-sqlite3';
import { KioskFailure } from '../../shared/contract/errors.ts';

const FULL = 'The kiosk has run out of storage, so this choice was not saved. Nothing else is affected.';
const UNAVAILABLE = 'The kiosk cannot write to its consent ledger right now, so this choice was not saved.';
const CORRUPT = 'The consent ledger file is damaged or is not a ledger.';
const LOCKED = 'The consent ledger is locked by another process.';

/** Turns SQLite's error codes into the calm, typed failures the UI and the CLI show; anything else passes through. */
export function asStorageFailure(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const code = error.code;
  if (code === 'SQLITE_FULL') return new KioskFailure('storage_full', FULL);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return new KioskFailure('ledger_corrupt', CORRUPT);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new KioskFailure('storage_unavailable', LOCKED);
  }
  if (/^SQLITE_(IOERR|CANTOPEN|READONLY|PERM|AUTH)/.test(code)) return new KioskFailure('storage_unavailable', UNAVAILABLE);
  return error;
}

/** Runs `work`, rethrowing storage errors as KioskFailures. */
export function withStorageErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw asStorageFailure(error);
  }
}
