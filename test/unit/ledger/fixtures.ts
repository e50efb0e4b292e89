import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ConsentDraft } from '../../../shared/contract/capture.ts';
import { terms } from '../../fixtures/bank-terms.ts';
import { renderConsentSentence } from '../../../shared/wording.ts';
import type { LedgerClock } from '../../../electron/ledger/clock.ts';
import { openFileKeyVault } from '../../../electron/ledger/file-key-vault.ts';
import { openLedger, type Ledger } from '../../../electron/ledger/ledger.ts';
import { ledgerPath } from '../../../electron/ledger/open-database.ts';

export { terms };

/** The national-form digits of the test subject's number, searched for in the database files. */
export const PHONE_DIGITS = '9012345678';

/** A valid ATM opt-in to balance alerts and payment notices, with the sentence exactly as rendered. */
export function draft(overrides: Partial<ConsentDraft> = {}): ConsentDraft {
  const kind = overrides.kind ?? 'opt_in';
  const locale = overrides.locale ?? 'en';
  const purposeIds = ['balance_alerts', 'payment_notices'];
  return {
    kind,
    flowId: 'atm-balance',
    entryPoint: 'atm.after_transaction',
    locale,
    consents: [{ purposeIds, shownText: renderConsentSentence(terms, kind, purposeIds, locale).text }],
    subject: { source: 'self_entered', phone: `0${PHONE_DIGITS.slice(0, 2)}-${PHONE_DIGITS.slice(2, 6)}-${PHONE_DIGITS.slice(6)}`, country: 'JP' },
    ...overrides,
  };
}

export function consentFor(purposeIds: string[], kind: ConsentDraft['kind'] = 'opt_in') {
  return { purposeIds, shownText: renderConsentSentence(terms, kind, purposeIds, 'en').text };
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-ledger-'));
}

/** A clock the test moves by hand. */
export function manualClock(start = new Date('2026-11-05T09:30:00.000Z')): LedgerClock & { advanceDays(days: number): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    knownGood: () => true,
    advanceDays: (days) => {
      now += days * 86_400_000;
    },
  };
}

const quiet = () => undefined;

/** A ledger in a fresh temp directory with the development vault (its warning silenced). */
export function freshLedger(options: { dataDir?: string; clock?: LedgerClock } = {}): { ledger: Ledger; dataDir: string } {
  const dataDir = options.dataDir ?? tempDataDir();
  const vault = openFileKeyVault(dataDir, { warn: quiet });
  return { ledger: openLedger({ dataDir, vault, ...(options.clock ? { clock: options.clock } : {}) }), dataDir };
}

/**
 * What an attacker with SQL access does: a separate connection, the append-only triggers dropped, then `sql`
 * (which may call sha256_hex(text) to recompute a hash column).
 */
export function tamper(dataDir: string, sql: string): void {
  const db = new Database(ledgerPath(dataDir));
  try {
    db.pragma('foreign_keys = OFF');
    db.function('sha256_hex', (text: unknown) => crypto.createHash('sha256').update(String(text)).digest('hex'));
    db.exec(`
      DROP TRIGGER IF EXISTS events_refuse_update;
      DROP TRIGGER IF EXISTS events_refuse_delete;
      DROP TRIGGER IF EXISTS chain_head_moves_forward;
      DROP TRIGGER IF EXISTS chain_head_refuse_delete;
    `);
    db.exec(sql);
  } finally {
    db.close();
  }
}
