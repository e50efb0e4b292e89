import fs from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate } from '../../../electron/ledger/migrate.ts';
import { ledgerPath } from '../../../electron/ledger/open-database.ts';
import { draft, freshLedger, tempDataDir, terms } from './fixtures.ts';

function tables(dataDir: string): string[] {
  const db = new Database(ledgerPath(dataDir), { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map(
      (row) => row.name,
    );
  } finally {
    db.close();
  }
}

/** A database left at `version` by an older kiosk: only the migrations up to it applied. */
function databaseAtVersion(version: number): string {
  const dataDir = tempDataDir();
  const db = new Database(ledgerPath(dataDir));
  db.pragma('journal_mode = WAL');
  migrate(db, version);
  expect(db.pragma('user_version', { simple: true })).toBe(version);
  db.close();
  return dataDir;
}

describe('schema migrations', () => {
  it('numbers migrations 1..n without gaps', () => {
    expect(MIGRATIONS.map((migration) => migration.version)).toEqual(
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, index) => index + 1),
    );
  });

  it.each(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, version) => version))(
    'upgrades a ledger at schema version %i to the latest, ready to capture and verify',
    (version) => {
      const dataDir = databaseAtVersion(version);
      const { ledger } = freshLedger({ dataDir });
      try {
        expect(ledger.status().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
        ledger.capture(draft(), terms);
        expect(ledger.verify()).toMatchObject({ ok: true, events: 2 });
        expect(ledger.funnelCounts().map((count) => count.outcome)).toEqual(['accepted', 'accepted']);
      } finally {
        ledger.close();
      }
    },
  );

  it('keeps the events of a version 1 ledger intact when adding the funnel counters', () => {
    const { ledger, dataDir } = freshLedger();
    ledger.capture(draft(), terms);
    ledger.close();
    const db = new Database(ledgerPath(dataDir));
    db.exec('DROP TABLE funnel_counters; DROP TABLE funnel_folded; PRAGMA user_version = 1;');
    db.close();
    expect(tables(dataDir)).not.toContain('funnel_counters');

    const { ledger: upgraded } = freshLedger({ dataDir });
    try {
      expect(tables(dataDir)).toContain('funnel_counters');
      expect(upgraded.verify()).toMatchObject({ ok: true, events: 2 });
      expect(upgraded.capture(draft(), terms).events[0]?.seq).toBe(3);
    } finally {
      upgraded.close();
    }
  });

  it('counts the acceptances of a version 2 ledger once after the upgrade, and new ones from the events', () => {
    const { ledger, dataDir } = freshLedger();
    ledger.capture(draft(), terms);
    ledger.close();
    // What a version 2 kiosk left behind: the same events, each already counted as accepted when captured.
    const db = new Database(ledgerPath(dataDir));
    db.exec(`
      DROP TABLE funnel_folded;
      INSERT INTO funnel_counters (day, flow_id, purpose_id, locale, outcome, count)
      SELECT substr(body ->> '$.capturedAt', 1, 10), body ->> '$.flowId', body ->> '$.purpose.id', body ->> '$.notice.locale', 'accepted', 1
      FROM events;
      PRAGMA user_version = 2;
    `);
    db.close();

    const { ledger: upgraded } = freshLedger({ dataDir });
    try {
      const accepted = () => upgraded.funnelCounts().reduce((sum, count) => sum + count.count, 0);
      expect(accepted()).toBe(2);
      upgraded.capture(draft(), terms);
      expect(accepted()).toBe(4);
      expect(upgraded.verify()).toMatchObject({ ok: true, events: 4 });
    } finally {
      upgraded.close();
    }
  });

  it('refuses a ledger written by newer software instead of guessing', () => {
    const dataDir = tempDataDir();
    const db = new Database(ledgerPath(dataDir));
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => freshLedger({ dataDir })).toThrow(
      expect.objectContaining({ code: 'storage_unavailable', message: expect.stringMatching(/newer than this kiosk/) }),
    );
  });

  it('opens with WAL and synchronous=FULL on disk', () => {
    const { ledger, dataDir } = freshLedger();
    ledger.capture(draft(), terms);
    expect(fs.existsSync(`${ledgerPath(dataDir)}-wal`)).toBe(true);
    const db = new Database(ledgerPath(dataDir), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(ledger.checkIntegrity('full')).toEqual([]);
    ledger.close();
  });
});
