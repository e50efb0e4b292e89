import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { KEY_FILE } from '../../../electron/ledger/key-vault.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate } from '../../../electron/ledger/migrate.ts';
import { ledgerPath } from '../../../electron/ledger/open-database.ts';
import { consentFor, draft, freshLedger, legacyLedger, manualClock, tempDataDir, terms } from './fixtures.ts';

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

  it("carries a version 4 ledger's sync state over: pending events stay pending, synced, dead and failed attempts kept", () => {
    // a version 4 kiosk kept an outbox row per event: seq 1, 2 and 5 synced (5 before 4 was answered), 3 refused,
    // 4 pending after two failed attempts, 6–8 never sent
    const { dataDir, ids } = legacyLedger(3, 4);
    const db = new Database(ledgerPath(dataDir));
    migrate(db, 4);
    const octoberFirst = Date.parse('2026-10-01T10:00:00.000Z');
    db.prepare("UPDATE outbox SET state = 'synced', synced_at = ? WHERE seq IN (1, 2)").run(octoberFirst);
    db.prepare("UPDATE outbox SET state = 'synced', synced_at = ? WHERE seq = 5").run(Date.parse('2026-11-01T10:00:00.000Z'));
    db.exec("UPDATE outbox SET state = 'dead', last_error = 'notice not approved' WHERE seq = 3");
    db.exec("UPDATE outbox SET attempts = 2, last_error = 'connect ECONNREFUSED' WHERE seq = 4");
    db.close();

    const { ledger } = freshLedger({ dataDir, clock: manualClock() });
    try {
      expect(ledger.status()).toMatchObject({ schemaVersion: LATEST_SCHEMA_VERSION, outbox: { pending: 4, synced: 3, dead: 1 } });
      expect(ledger.readOutbox(10).map((item) => item.event.seq)).toEqual([4, 6, 7, 8]);
      expect(ledger.deadLetters(10)).toEqual([{ seq: 3, id: ids[2], type: 'consent', reason: 'notice not approved', attempts: 0 }]);
      expect(ledger.lastSyncedSeq()).toBe(5);
      const states = [...ledger.exportRecords({ personalData: false })].flatMap((record) => (record.record === 'event' ? [record.sync] : []));
      expect(states.map((sync) => sync.state)).toEqual(['synced', 'synced', 'dead', 'pending', 'synced', 'pending', 'pending', 'pending']);
      expect(states[0]?.syncedAt).toBe('2026-10-01T10:00:00.000Z');
      // retention still finds when each event was synced: 1 and 2 more than 30 days ago, 5 not
      expect(ledger.purgePersonalData()).toBe(2);
      const [next] = ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms).events;
      expect(next?.seq).toBe(9);
      expect(ledger.readOutbox(10).map((item) => item.event.seq)).toEqual([4, 6, 7, 8, 9]);
      expect(ledger.verify()).toMatchObject({ ok: true, events: 9 });
    } finally {
      ledger.close();
    }
    expect(tables(dataDir)).not.toContain('outbox');
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
