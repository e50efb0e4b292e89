import crypto from 'node:crypto';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileKeyVault } from '../../../electron/ledger/file-key-vault.ts';
import { openLedgerReader, type Ledger, type LedgerReader } from '../../../electron/ledger/ledger.ts';
import { ledgerPath } from '../../../electron/ledger/open-database.ts';
import { newOpening, sealOpening } from '../../../electron/ledger/personal-data.ts';
import { consentFor, draft, freshLedger, rekeyLedger, resignEvent, tamper, terms } from './fixtures.ts';

const open: Array<Ledger | LedgerReader> = [];
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

/** The ledger as `kioskctl verify` reads it: read-only, checked against the vault's key, openings with its data key. */
function inspect(dataDir: string): LedgerReader {
  const vault = openFileKeyVault(dataDir, { warn: () => undefined });
  const reader = openLedgerReader({ dataDir, dataKey: vault.dataKey(), expectedPublicKey: vault.publicKey });
  open.push(reader);
  return reader;
}

describe('the append-only ledger', () => {
  it('refuses to update or delete event content or device keys, even from another connection', () => {
    const dataDir = ledgerWithFiveEvents();
    const db = new Database(ledgerPath(dataDir));
    try {
      expect(() => db.prepare("UPDATE events SET sig = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM events WHERE seq = 5').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE events SET opening = x'00' WHERE seq = 2").run()).toThrow(/append-only/);
      expect(() => db.prepare('UPDATE chain_head SET seq = 3').run()).toThrow(/only moves forward/);
      expect(() => db.prepare("UPDATE device_keys SET public_key = 'x'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM device_keys').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(reopen(dataDir).verify()).toMatchObject({ ok: true, events: 5 });
  });
});

/** A break message names the seq and the event id, then what was found there, in one sentence. */
const at = (seq: number, finding: string) => expect.stringMatching(new RegExp(`^seq ${seq} \\([0-9a-f-]{36}\\): ${finding}.*\\.$`));

describe('verify names the first break', () => {
  const tampers: Array<[string, string, { problem: string; seq: number | null; eventId?: null; message?: unknown }]> = [
    [
      'a changed byte in an event body',
      "UPDATE events SET body = replace(body, 'balance alerts', 'balance alertz') WHERE seq = 2",
      { problem: 'hash_mismatch', seq: 2, message: at(2, 'the body no longer matches its recorded hash') },
    ],
    [
      'a changed body with its hash recomputed',
      "UPDATE events SET body = replace(body, '\"opt_in\"', '\"opt_out\"') WHERE seq = 3; UPDATE events SET hash = sha256_hex(body) WHERE seq = 3",
      { problem: 'bad_signature', seq: 3, message: at(3, 'the signature does not verify with the device key valid for this seq \\([0-9a-f]{32}\\)') },
    ],
    [
      'a deleted row',
      'DELETE FROM events WHERE seq = 3',
      { problem: 'missing_sequence', seq: 3, eventId: null, message: expect.stringMatching(/^seq 3 is missing; the next event present is seq 4 \(\S{36}\)\.$/) },
    ],
    [
      'two rows swapped',
      `UPDATE events SET seq = 1000 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 1000`,
      { problem: 'reordered', seq: 2, message: at(2, 'the row holds the event signed as seq 3 \\(\\S{36}\\); events were moved or swapped') },
    ],
    [
      'a replaced signature',
      'UPDATE events SET sig = (SELECT sig FROM events WHERE seq = 1) WHERE seq = 4',
      { problem: 'bad_signature', seq: 4, message: at(4, 'the signature does not verify') },
    ],
    [
      'a truncated tail',
      'DELETE FROM events WHERE seq >= 4',
      { problem: 'truncated', seq: 4, message: expect.stringMatching(/^The ledger ends at seq 3 but its head records seq 5: events were removed from the end\.$/) },
    ],
    [
      'a chain head moved back behind the last event',
      'UPDATE chain_head SET seq = 4, hash = (SELECT hash FROM events WHERE seq = 4)',
      { problem: 'head_mismatch', seq: 5, message: expect.stringMatching(/^The recorded chain head \(seq 4\) does not match the last event \(seq 5\)\.$/) },
    ],
    ['a chain head moved back one seq, its hash left as it was', 'UPDATE chain_head SET seq = 4', { problem: 'head_mismatch', seq: 5 }],
    ['a deleted chain head row', 'DELETE FROM chain_head', { problem: 'head_mismatch', seq: null, message: 'The chain head record is missing.' }],
    [
      'an event row given another id',
      "UPDATE events SET id = '019ab1c2-d3e4-7f00-8a00-0123456789ab' WHERE seq = 2",
      { problem: 'reordered', seq: 2, message: at(2, 'the row holds the event signed as seq 2 \\(\\S{36}\\)') },
    ],
    [
      'a key id recorded for the device that is not its public key\'s',
      `UPDATE device SET key_id = '${'f'.repeat(32)}'; UPDATE device_keys SET key_id = '${'f'.repeat(32)}'`,
      { problem: 'key_mismatch', seq: null, message: `The recorded key id ${'f'.repeat(32)} does not belong to the recorded public key.` },
    ],
    ["a chain head naming the last seq with another hash", `UPDATE chain_head SET hash = '${'f'.repeat(64)}'`, { problem: 'head_mismatch', seq: 5 }],

    ['a deleted device row', 'DELETE FROM device', { problem: 'device_missing', seq: null, message: 'The ledger has events but no record of the device that signed them.' }],
    ['a deleted device row and every event, the head left where it was', 'DELETE FROM device; DELETE FROM events', { problem: 'device_missing', seq: null }],
    ['a deleted device row and chain head, the events left', 'DELETE FROM device; DELETE FROM chain_head', { problem: 'device_missing', seq: null }],
    [
      'a device row naming another first key',
      "UPDATE device SET public_key = (CASE WHEN substr(public_key, 1, 1) = 'A' THEN 'B' ELSE 'A' END) || substr(public_key, 2)",
      { problem: 'key_mismatch', seq: null, message: "The ledger's key list does not start with the device's first key." },
    ],
    [
      "a device row naming another first key id than its key list's",
      `UPDATE device SET key_id = '${'f'.repeat(32)}'`,
      { problem: 'key_mismatch', seq: null, message: "The ledger's key list does not start with the device's first key." },
    ],
    ['a key list whose first key starts after seq 1', 'UPDATE device_keys SET from_seq = 2', { problem: 'key_mismatch', seq: null }],
    [
      'a body that is JSON but not an event',
      "UPDATE events SET body = json_remove(body, '$.device.id') WHERE seq = 2",
      { problem: 'body_not_parseable', seq: 2, message: at(2, 'the body is not a valid event \\(device\\.id: .+\\)') },
    ],
    ['a body that is not JSON', "UPDATE events SET body = 'not json' WHERE seq = 1", { problem: 'body_not_parseable', seq: 1, message: at(1, 'the body is not JSON') }],
    [
      'a body rewritten in non-canonical form',
      "UPDATE events SET body = ' ' || body WHERE seq = 5",
      { problem: 'body_not_canonical', seq: 5, message: at(5, 'the body is not in canonical form, so it was not written by the kiosk') },
    ],
    [
      "a person's data moved onto another event",
      'UPDATE events SET opening = (SELECT opening FROM events WHERE seq = 1) WHERE seq = 5',
      { problem: 'opening_mismatch', seq: 5, message: at(5, "the stored personal data does not match the event's commitment") },
    ],
  ];

  it.each(tampers)('detects %s', (_name, sql, expected) => {
    const dataDir = ledgerWithFiveEvents();
    tamper(dataDir, sql);
    const report = inspect(dataDir).verify();
    expect(report.ok).toBe(false);
    if (!report.ok) expect(report.break).toMatchObject(expected);
  });

  // Someone holding the device key can sign anything; what the chain still shows is where the history was bent.
  const resigned: Array<[string, number, (body: { prev: string; device: { id: string; keyId: string }; clock?: { monoMs: number } }) => void, string, string]> = [
    ['an event re-signed with a prev that skips the event before it', 3, (body) => (body.prev = 'f'.repeat(64)), 'prev_mismatch', 'prev does not match the hash of the event before it; the chain was broken here'],
    ['an event re-signed naming another device', 3, (body) => (body.device.id = crypto.randomUUID()), 'foreign_device', 'the event names another device or key'],
    ['an event re-signed naming another key id than the one that signed it', 3, (body) => (body.device.keyId = 'e'.repeat(32)), 'foreign_device', 'the event names another device or key'],
    ['an event re-signed with a monotonic time before the one ahead of it', 4, (body) => (body.clock!.monoMs = 0), 'clock_regressed', 'the monotonic clock went back from \\d+ to 0 ms within one boot'],
  ];

  it.each(resigned)('detects %s', (_name, seq, edit, problem, finding) => {
    const dataDir = ledgerWithFiveEvents();
    resignEvent(dataDir, seq, edit);
    expect(inspect(dataDir).verify()).toMatchObject({ ok: false, break: { seq, problem, message: at(seq, finding) } });
  });

  it("detects personal data that decrypts but is not the event's subject", () => {
    const dataDir = ledgerWithFiveEvents();
    const db = new Database(ledgerPath(dataDir), { readonly: true });
    const { id: eventId } = db.prepare('SELECT id FROM events WHERE seq = 2').get() as { id: string };
    db.close();
    // sealed properly, under the right key and for the right event: only the commitment check can tell
    const other = newOpening('+819099990000', undefined);
    const sealed = sealOpening(openFileKeyVault(dataDir, { warn: () => undefined }).dataKey(), eventId, other.json);
    tamper(dataDir, `UPDATE events SET opening = x'${sealed.toString('hex')}' WHERE seq = 2`);
    expect(inspect(dataDir).verify()).toMatchObject({ ok: false, break: { seq: 2, problem: 'opening_mismatch' } });
  });

  it('detects a page of the file damaged on disk', () => {
    const dataDir = ledgerWithFiveEvents();
    const db = new Database(ledgerPath(dataDir), { readonly: true });
    const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events'").get() as { rootpage: number };
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const fd = fs.openSync(ledgerPath(dataDir), 'r+');
    fs.writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, (rootpage - 1) * pageSize + 8);
    fs.closeSync(fd);
    const report = inspect(dataDir).verify();
    expect(report).toMatchObject({ ok: false, break: { problem: 'file_damaged', message: 'The file is damaged: The consent ledger file is damaged or is not a ledger.' } });
  });

  it('detects damage SQLite finds in an index, away from the rows verify reads', () => {
    const dataDir = ledgerWithFiveEvents();
    const db = new Database(ledgerPath(dataDir), { readonly: true });
    const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").get() as { rootpage: number };
    db.close();
    const fd = fs.openSync(ledgerPath(dataDir), 'r+');
    fs.writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, (rootpage - 1) * 4096 + 8);
    fs.closeSync(fd);
    expect(inspect(dataDir).verify()).toMatchObject({ ok: false, break: { problem: 'file_damaged', message: expect.stringMatching(/^SQLite reports the file damaged: /) } });
  });

  it('detects a truncated tail even after new events were captured on top of it', () => {
    const dataDir = ledgerWithFiveEvents();
    tamper(dataDir, 'DELETE FROM events WHERE seq >= 4');
    const ledger = reopen(dataDir);
    expect(ledger.capture(draft(), terms).events.map((event) => event.seq)).toEqual([6, 7]);
    const report = ledger.verify();
    expect(report).toMatchObject({ ok: false, events: 3, break: { problem: 'missing_sequence', seq: 4 } });
  });

  it('detects an event spliced out and the rest renumbered', () => {
    const dataDir = ledgerWithFiveEvents();
    // Splice seq 2 out and renumber: every signature stays valid, only the chain link shows the gap.
    tamper(
      dataDir,
      `DELETE FROM events WHERE seq = 2;
       UPDATE events SET seq = seq - 1 WHERE seq > 2;
       UPDATE chain_head SET seq = 4`,
    );
    const report = inspect(dataDir).verify();
    expect(report).toMatchObject({ ok: false, break: { seq: 2, problem: 'reordered' } });
  });

  it('calls a ledger whose device key was swapped and every event re-signed broken, and the kiosk refuses to sign on', () => {
    const dataDir = ledgerWithFiveEvents();
    rekeyLedger(dataDir);
    expect(inspect(dataDir).verify()).toMatchObject({
      ok: false,
      break: { problem: 'key_mismatch', message: "The ledger's current public key is not the one in the device key vault: its events were signed by another key." },
    });
    // without the vault's key to compare with, the forged chain is consistent in itself: that is what the
    // central API's published device keys are for (docs/event-format.md)
    expect(openLedgerReader({ dataDir }).verify()).toMatchObject({ ok: true, events: 5 });
    expect(() => reopen(dataDir)).toThrow(expect.objectContaining({ code: 'ledger_corrupt' }));
  });

  it('refuses to sign on to a ledger whose device row no longer matches its first key', () => {
    const dataDir = ledgerWithFiveEvents();
    tamper(dataDir, "UPDATE device SET public_key = (CASE WHEN substr(public_key, 1, 1) = 'A' THEN 'B' ELSE 'A' END) || substr(public_key, 2)");
    expect(() => reopen(dataDir)).toThrow(expect.objectContaining({ code: 'ledger_corrupt' }));
  });

  it('refuses to sign on to a ledger that has events but no device row', () => {
    const dataDir = ledgerWithFiveEvents();
    tamper(dataDir, 'DELETE FROM device');
    expect(() => reopen(dataDir)).toThrow(expect.objectContaining({ code: 'ledger_corrupt' }));
  });
});
