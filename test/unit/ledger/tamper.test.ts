import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../../electron/ledger/ledger.ts';
import { ledgerPath } from '../../../electron/ledger/open-database.ts';
import { consentFor, draft, freshLedger, tamper, terms } from './fixtures.ts';

const open: Ledger[] = [];
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
});

/** Five events, seq 1–5, closed so a second connection can tamper with the file. */
function ledgerWithFiveEvents(): string {
  const { ledger, dataDir } = freshLedger();
  ledger.capture(draft(), terms);
  ledger.capture(draft(), terms);
  ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
  ledger.close();
  return dataDir;
}

function reopen(dataDir: string): Ledger {
  const { ledger } = freshLedger({ dataDir });
  open.push(ledger);
  return ledger;
}

describe('the append-only ledger', () => {
  it('refuses to update or delete event content, even from another connection', () => {
    const dataDir = ledgerWithFiveEvents();
    const db = new Database(ledgerPath(dataDir));
    try {
      expect(() => db.prepare("UPDATE events SET sig = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM events WHERE seq = 5').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE events SET opening = x'00' WHERE seq = 2").run()).toThrow(/append-only/);
      expect(() => db.prepare('UPDATE chain_head SET seq = 3').run()).toThrow(/only moves forward/);
    } finally {
      db.close();
    }
    expect(reopen(dataDir).verify()).toMatchObject({ ok: true, events: 5 });
  });
});

describe('verify names the first break', () => {
  const tampers: Array<[string, string, { problem: string; seq: number | null }]> = [
    [
      'a changed byte in an event body',
      "UPDATE events SET body = replace(body, 'balance alerts', 'balance alertz') WHERE seq = 2",
      { problem: 'hash_mismatch', seq: 2 },
    ],
    [
      'a changed body with its hash recomputed',
      "UPDATE events SET body = replace(body, '\"opt_in\"', '\"opt_out\"') WHERE seq = 3; UPDATE events SET hash = sha256_hex(body) WHERE seq = 3",
      { problem: 'bad_signature', seq: 3 },
    ],
    ['a deleted row', 'DELETE FROM events WHERE seq = 3', { problem: 'missing_sequence', seq: 3 }],
    [
      'two rows swapped',
      `UPDATE events SET seq = 1000 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 1000`,
      { problem: 'reordered', seq: 2 },
    ],
    [
      'a replaced signature',
      'UPDATE events SET sig = (SELECT sig FROM events WHERE seq = 1) WHERE seq = 4',
      { problem: 'bad_signature', seq: 4 },
    ],
    ['a truncated tail', 'DELETE FROM events WHERE seq >= 4', { problem: 'truncated', seq: 4 }],
    ['a body that is not JSON', "UPDATE events SET body = 'not json' WHERE seq = 1", { problem: 'body_not_parseable', seq: 1 }],
    [
      'a body rewritten in non-canonical form',
      "UPDATE events SET body = ' ' || body WHERE seq = 5",
      { problem: 'body_not_canonical', seq: 5 },
    ],
    [
      "a person's data moved onto another event",
      'UPDATE events SET opening = (SELECT opening FROM events WHERE seq = 1) WHERE seq = 5',
      { problem: 'opening_mismatch', seq: 5 },
    ],
  ];

  it.each(tampers)('detects %s', (_name, sql, expected) => {
    const dataDir = ledgerWithFiveEvents();
    tamper(dataDir, sql);
    const report = reopen(dataDir).verify();
    expect(report.ok).toBe(false);
    if (!report.ok) expect(report.break).toMatchObject(expected);
  });

  it('detects a truncated tail even after new events were captured on top of it', () => {
    const dataDir = ledgerWithFiveEvents();
    tamper(dataDir, 'DELETE FROM events WHERE seq >= 4');
    const ledger = reopen(dataDir);
    expect(ledger.capture(draft(), terms).events.map((event) => event.seq)).toEqual([6, 7]);
    const report = ledger.verify();
    expect(report).toMatchObject({ ok: false, events: 3, break: { problem: 'missing_sequence', seq: 4 } });
  });

  it('detects an event whose prev no longer links to the event before it', () => {
    const dataDir = ledgerWithFiveEvents();
    // Splice seq 2 out and renumber: every signature stays valid, only the chain link shows the gap.
    tamper(
      dataDir,
      `DELETE FROM events WHERE seq = 2;
       UPDATE events SET seq = seq - 1 WHERE seq > 2;
       UPDATE chain_head SET seq = 4`,
    );
    const report = reopen(dataDir).verify();
    expect(report).toMatchObject({ ok: false, break: { seq: 2, problem: 'reordered' } });
  });

  it('refuses a ledger signed by another key than the vault holds', () => {
    const dataDir = ledgerWithFiveEvents();
    // a different first character whatever the key's own is (a fixed 'A' left one key in 64 unchanged)
    tamper(dataDir, "UPDATE device SET public_key = (CASE WHEN substr(public_key, 1, 1) = 'A' THEN 'B' ELSE 'A' END) || substr(public_key, 2)");
    expect(() => reopen(dataDir)).toThrow(expect.objectContaining({ code: 'ledger_corrupt' }));
  });
});
