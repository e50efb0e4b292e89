import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { KEY_FILE } from '../../../electron/ledger/key-vault.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate } from '../../../electron/ledger/migrate.ts';
import { ledgerPath } from '../../../electron/ledger/open-database.ts';
import { draft, freshLedger, legacyLedger, tempDataDir, terms } from './fixtures.ts';

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

const accepted = (counts: Array<{ outcome: string; count: number }>) =>
  counts.filter((count) => count.outcome === 'accepted').reduce((sum, count) => sum + count.count, 0);

describe('schema migrations', () => {
  it('numbers migrations 1..n without gaps', () => {
    expect(MIGRATIONS.map((migration) => migration.version)).toEqual(
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, index) => index + 1),
    );
  });

  it.each(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, version) => version))(
    'upgrades an empty ledger at schema version %i to the latest, ready to capture and verify',
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

  it.each([1, 2, 3])(
    'upgrades a ledger of version 1 consents at schema version %i: they keep verifying and exporting, new captures chain on',
    (version) => {
      const { dataDir, ids } = legacyLedger(version);
      const { ledger } = freshLedger({ dataDir });
      try {
        expect(ledger.keys()).toHaveLength(1);
        expect(ledger.verify()).toMatchObject({ ok: true, events: 4, counts: { consent: 4 }, openingsChecked: 4 });
        // a version 1 kiosk kept no funnel counters, so its acceptances were never counted
        const before = version === 1 ? 0 : 4;
        expect(accepted(ledger.funnelCounts())).toBe(before);
        const [next] = ledger.capture(draft(), terms).events;
        expect(next?.seq).toBe(5);
        expect(ledger.verify()).toMatchObject({ ok: true, events: 6, openingsChecked: 6 });
        expect(accepted(ledger.funnelCounts())).toBe(before + 2);
        const exported = [...ledger.exportRecords({ personalData: true })].flatMap((record) => (record.record === 'event' ? [record] : []));
        expect(exported.map((record) => [record.event.id, record.event.v])).toEqual([
          ...ids.map((id) => [id, 1]),
          [expect.any(String), 2],
          [expect.any(String), 2],
        ]);
        expect(exported.every((record) => record.subject?.phone.startsWith('+8190'))).toBe(true);
      } finally {
        ledger.close();
      }
      // the key file of that version gained a next key and kept the current one
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, KEY_FILE), 'utf8'))).toMatchObject({ format: 2, current: {}, next: {} });
    },
  );

  it('keeps the events of a version 1 ledger intact when adding the funnel counters', () => {
    const { dataDir } = legacyLedger(1);
    expect(tables(dataDir)).not.toContain('funnel_counters');

    const { ledger: upgraded } = freshLedger({ dataDir });
    try {
      expect(tables(dataDir)).toEqual(expect.arrayContaining(['funnel_counters', 'device_keys', 'clock_observations', 'api_statement']));
      expect(upgraded.verify()).toMatchObject({ ok: true, events: 4 });
      expect(upgraded.capture(draft(), terms).events[0]?.seq).toBe(5);
    } finally {
      upgraded.close();
    }
  });

  it('counts the acceptances of a version 2 ledger once after the upgrade, and new ones from the events', () => {
    // what a version 2 kiosk left behind: its events, each already counted as accepted when captured
    const { dataDir } = legacyLedger(2);
    const { ledger: upgraded } = freshLedger({ dataDir });
    try {
      expect(accepted(upgraded.funnelCounts())).toBe(4);
      upgraded.capture(draft(), terms);
      expect(accepted(upgraded.funnelCounts())).toBe(6);
      expect(upgraded.verify()).toMatchObject({ ok: true, events: 6 });
    } finally {
      upgraded.close();
    }
  });

  it("records a version 3 ledger's device key as the key of every seq from 1", () => {
    const { dataDir } = legacyLedger(3);
    const { ledger } = freshLedger({ dataDir });
    try {
      const [key] = ledger.keys();
      expect(key).toMatchObject({ fromSeq: 1, keyId: ledger.keyId });
    } finally {
      ledger.close();
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
