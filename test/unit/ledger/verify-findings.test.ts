import crypto from 'node:crypto';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openFileKeyVault } from '../../../electron/ledger/file-key-vault.ts';
import { openLedgerReader, type LedgerReader } from '../../../electron/ledger/ledger.ts';
import { migrate } from '../../../electron/ledger/migrate.ts';
import { ledgerPath } from '../../../electron/ledger/open-database.ts';
import { verifyChain } from '../../../electron/ledger/verify-chain.ts';
import { consentFor, draft, freshLedger, manualClock, observeClock, resignEvent, tamper, tempDataDir, terms } from './fixtures.ts';

// What `verify` (and so `kioskctl verify` and the export) reports beyond the tamper table of tamper.test.ts: the
// findings on rotations and observations, the wording an operator reads, and the edges of an empty or locked file.

const open: LedgerReader[] = [];
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
});

/** As kioskctl reads it: checked against the vault's current key, openings with its data key. */
function inspect(dataDir: string, options: { dataKey?: boolean } = {}): LedgerReader {
  const vault = openFileKeyVault(dataDir, { warn: () => undefined });
  const reader = openLedgerReader({ dataDir, expectedPublicKey: vault.publicKey, ...(options.dataKey === false ? {} : { dataKey: vault.dataKey() }) });
  open.push(reader);
  return reader;
}

const at = (seq: number, finding: string) => expect.stringMatching(new RegExp(`^seq ${seq} \\([0-9a-f-]{36}\\): ${finding}`));

/** A key pair that is not the device's, as raw base64url with its key id. */
function strangerKey(): { raw: string; keyId: string } {
  const raw = crypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
  return { raw, keyId: crypto.createHash('sha256').update(Buffer.from(raw, 'base64url')).digest('hex').slice(0, 32) };
}

describe('verify on an intact ledger', () => {
  it('reports the last event as the head, with its hash', () => {
    const { ledger, dataDir } = freshLedger();
    ledger.capture(draft(), terms);
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    const head = ledger.status().chainHead;
    ledger.close();
    expect(head).toMatchObject({ seq: 3 });
    expect(inspect(dataDir).verify()).toEqual({ ok: true, events: 3, counts: { consent: 3, clock_observation: 0, key_rotation: 0, service: 0 }, head, openingsChecked: 3 });
  });

  it('calls a ledger opened but never captured on intact and empty, with no head', () => {
    const { ledger, dataDir } = freshLedger();
    ledger.close();
    expect(inspect(dataDir).verify()).toMatchObject({ ok: true, events: 0, head: null });
  });

  it('calls a ledger file that holds no device yet (never opened to capture) intact and empty', () => {
    const dataDir = tempDataDir();
    const db = new Database(ledgerPath(dataDir));
    db.pragma('journal_mode = WAL');
    migrate(db);
    db.close();
    const reader = openLedgerReader({ dataDir });
    open.push(reader);
    expect(reader.verify()).toEqual({ ok: true, events: 0, counts: { consent: 0, clock_observation: 0, key_rotation: 0, service: 0 }, head: null, openingsChecked: 0 });
  });

  it('verifies a ledger whose last event is a key rotation, its next key not yet used', () => {
    const { ledger, dataDir } = freshLedger();
    ledger.capture(draft(), terms);
    ledger.rotateKey('technician');
    ledger.close();
    expect(inspect(dataDir).verify()).toMatchObject({ ok: true, events: 3, counts: { key_rotation: 1 } });
  });
});

describe('verify names a bent key rotation', () => {
  /** A ledger with a rotation at seq 3 and one capture after it; `signer` still holds the key that signed seq 1–3. */
  function rotatedLedger(options: { captureAfter?: boolean } = {}) {
    const { ledger, dataDir } = freshLedger();
    const signer = openFileKeyVault(dataDir, { warn: () => undefined });
    ledger.capture(draft(), terms);
    const rotated = ledger.rotateKey('technician');
    if (options.captureAfter !== false) ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    ledger.close();
    return { dataDir, signer, rotated };
  }

  it('detects a rotation re-signed naming the next public key under another key id', () => {
    const { dataDir, signer } = rotatedLedger();
    resignEvent(dataDir, 3, (body) => ((body as unknown as { next: { keyId: string } }).next.keyId = strangerKey().keyId), signer);
    expect(inspect(dataDir).verify()).toMatchObject({
      ok: false,
      break: { seq: 3, problem: 'rotation_mismatch', message: at(3, 'the key rotation names key [0-9a-f]{32}, but the ledger records another key from seq 4\\.$') },
    });
  });

  it("detects a rotation re-signed naming another public key under the next key's id", () => {
    const { dataDir, signer } = rotatedLedger();
    resignEvent(dataDir, 3, (body) => ((body as unknown as { next: { publicKey: string } }).next.publicKey = strangerKey().raw), signer);
    expect(inspect(dataDir).verify()).toMatchObject({ ok: false, break: { seq: 3, problem: 'rotation_mismatch' } });
  });

  it('detects a rotation whose next key the key list no longer records', () => {
    const { dataDir } = rotatedLedger({ captureAfter: false });
    tamper(dataDir, 'DELETE FROM device_keys WHERE from_seq = 4');
    expect(inspect(dataDir).verify()).toMatchObject({ ok: false, break: { seq: 3, problem: 'rotation_mismatch' } });
  });

  it('names the seq a key recorded without a rotation would take over at', () => {
    const { dataDir } = rotatedLedger();
    const stranger = strangerKey();
    tamper(dataDir, `INSERT INTO device_keys (from_seq, key_id, public_key, added_at) VALUES (2, '${stranger.keyId}', '${stranger.raw}', '2026-11-05')`);
    expect(inspect(dataDir).verify()).toMatchObject({
      ok: false,
      break: { seq: 1, problem: 'rotation_mismatch', message: at(1, `the ledger records key ${stranger.keyId} from seq 2, but this event is not a key rotation naming it\\.$`) },
    });
  });

  it('names a key recorded beyond the last event, which no rotation named', () => {
    const { dataDir } = rotatedLedger();
    const stranger = strangerKey();
    tamper(dataDir, `INSERT INTO device_keys (from_seq, key_id, public_key, added_at) VALUES (9, '${stranger.keyId}', '${stranger.raw}', '2026-11-05')`);
    expect(inspect(dataDir).verify()).toMatchObject({
      ok: false,
      break: { seq: null, problem: 'rotation_mismatch', message: `The ledger records key ${stranger.keyId} from seq 9, which no key rotation named.` },
    });
  });
});

describe('verify names a bent clock observation', () => {
  function observedLedger() {
    const clock = manualClock();
    const { ledger, dataDir } = freshLedger({ clock });
    ledger.capture(draft(), terms);
    observeClock(ledger, clock, undefined, { roundTripMs: 40 });
    clock.advanceMs(1_000);
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    ledger.close();
    return dataDir;
  }
  type Observation = { statement: { statement: { deviceId: string } }; sent: { monoMs: number }; received: { monoMs: number }; clock: { monoMs: number } };

  it('detects an observation re-signed as recorded before its answer came', () => {
    const dataDir = observedLedger();
    resignEvent(dataDir, 3, (body) => {
      const observation = body as unknown as Observation;
      observation.received.monoMs = observation.clock.monoMs + 1;
    });
    expect(inspect(dataDir).verify()).toMatchObject({
      ok: false,
      break: { seq: 3, problem: 'observation_mismatch', message: at(3, 'the request was not sent before its answer came and the observation was recorded\\.$') },
    });
  });

  it("names an observation of another device's statement", () => {
    const dataDir = observedLedger();
    resignEvent(dataDir, 3, (body) => ((body as unknown as Observation).statement.statement.deviceId = crypto.randomUUID()));
    expect(inspect(dataDir).verify()).toMatchObject({ ok: false, break: { seq: 3, message: at(3, 'the recorded API statement is about another device\\.$') } });
  });

  it('detects personal data on an event that is not a consent even without the data key', () => {
    const dataDir = observedLedger();
    tamper(dataDir, 'UPDATE events SET opening = (SELECT opening FROM events WHERE seq = 1) WHERE seq = 3');
    expect(inspect(dataDir, { dataKey: false }).verify()).toMatchObject({
      ok: false,
      break: { seq: 3, problem: 'opening_mismatch', message: at(3, 'an event that is not a consent carries personal data\\.$') },
    });
  });
});

/** An SQLite varint at `at`: its value and its length in bytes. */
function varint(file: Buffer, at: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i += 1) {
    const byte = file[at + i]!;
    value = value * 128 + (byte & 0x7f);
    if (byte < 0x80) return [value, i + 1];
  }
  return [value * 256 + file[at + 8]!, 9];
}

/**
 * Flips the lowest bit of the serial type of column `column` in the first row on the first leaf page of `table`:
 * a text of n bytes (13 + 2n) reads as a blob of n bytes (12 + 2n), the row still well formed.
 */
function flipTypeBit(path: string, table: string, column: number): void {
  const db = new Database(path, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const { pageno } = db.prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno LIMIT 1").get(table) as { pageno: number };
  db.close();
  const file = fs.readFileSync(path);
  const page = (pageno - 1) * pageSize;
  let at = page + file.readUInt16BE(page + 8);
  at += varint(file, at)[1]; // payload size
  at += varint(file, at)[1]; // rowid
  let type = at + varint(file, at)[1];
  for (let skipped = 0; skipped < column; skipped += 1) type += varint(file, type)[1];
  file[type] = file[type]! ^ 1;
  fs.writeFileSync(path, file);
}

describe('verify on a file it cannot read as a ledger', () => {
  it('names every finding when SQLite lists several, one after another, for a bit flipped in the device row and in an event', () => {
    const { ledger, dataDir } = freshLedger();
    for (let capture = 0; capture < 3; capture += 1) ledger.capture(draft(), terms);
    ledger.close();
    flipTypeBit(ledgerPath(dataDir), 'device', 1);
    flipTypeBit(ledgerPath(dataDir), 'events', 1);
    expect(inspect(dataDir).verify()).toEqual({
      ok: false,
      events: 0,
      break: { seq: null, eventId: null, problem: 'file_damaged', message: 'SQLite reports the file damaged: non-TEXT value in device.device_id; non-TEXT value in events.id' },
    });
  });

  it('names what SQLite found in a damaged file on one line of at most 300 characters', () => {
    const { ledger, dataDir } = freshLedger();
    for (let capture = 0; capture < 30; capture += 1) ledger.capture(draft(), terms);
    ledger.close();
    const db = new Database(ledgerPath(dataDir), { readonly: true });
    const indexes = db.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'index'").all() as Array<{ rootpage: number }>;
    db.close();
    const fd = fs.openSync(ledgerPath(dataDir), 'r+');
    for (const { rootpage } of indexes) fs.writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, (rootpage - 1) * 4096 + 8);
    fs.closeSync(fd);
    const report = inspect(dataDir).verify();
    const prefix = 'SQLite reports the file damaged: ';
    expect(report).toMatchObject({ ok: false, break: { problem: 'file_damaged', message: expect.stringMatching(/^SQLite reports the file damaged: \*\*\* in database main \*\*\*; Tree \d+ page \d+ /) } });
    if (!report.ok) {
      expect(report.break.message).not.toMatch(/\n/);
      // one finding per SQLite line, each kept whole
      expect(report.break.message).toMatch(/out of range \d+\.\.\d+; Tree \d+ page \d+ cell \d+: /);
      expect(report.break.message).toHaveLength(prefix.length + 300);
    }
  });

  it('calls a ledger another process holds locked locked, never damaged', () => {
    const { ledger, dataDir } = freshLedger();
    ledger.capture(draft(), terms);
    ledger.close();
    const holder = new Database(ledgerPath(dataDir));
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');
    const db = new Database(ledgerPath(dataDir), { readonly: true, timeout: 50 });
    try {
      expect(() => verifyChain(db)).toThrow(expect.objectContaining({ code: 'storage_unavailable', message: 'The consent ledger is locked by another process.' }));
    } finally {
      db.close();
      holder.exec('ROLLBACK');
      holder.close();
    }
  });
});
