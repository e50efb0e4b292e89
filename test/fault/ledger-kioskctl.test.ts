import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import canonicalize from 'canonicalize';
import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { ledgerPath } from '../../electron/ledger/open-database.ts';
import { consentFor, draft, freshLedger, manualClock, observeClock, rekeyLedger, tamper, tempDataDir, terms } from '../unit/ledger/fixtures.ts';

const run = promisify(execFile);
const KIOSKCTL = path.resolve('bin/kioskctl.js');

type Outcome = { code: number; stdout: string; stderr: string };

async function kioskctl(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [KIOSKCTL, ...args], { env: { ...process.env, KIOSK_DATA_DIR: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function ledgerWithEvents(options: { observed?: boolean } = {}): string {
  const clock = manualClock();
  const { ledger, dataDir } = freshLedger({ clock });
  ledger.capture(draft(), terms);
  ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
  if (options.observed) observeClock(ledger, clock);
  ledger.capture(draft({ kind: 'opt_out', consents: [consentFor(['offers'], 'opt_out')] }), terms);
  ledger.recordFunnel({ flowId: 'atm-balance', purposeIds: ['offers'], locale: 'en', outcome: 'declined' });
  ledger.close();
  return dataDir;
}

/** One sentence, no stack trace. */
function expectOneSentence(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\bat .+:\d+:\d+/);
}

describe('kioskctl verify', () => {
  it('exits 0 with a one-line summary on an intact ledger', async () => {
    const result = await kioskctl('verify', '--data', ledgerWithEvents());
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(
      /^Ledger intact: 4 events verified \(4 consents, 0 clock observations, 0 key rotations, 0 service events\), head seq 4 [0-9a-f]{16}…, 4 subject openings match/,
    );
  });

  it.each([
    ['a changed byte', "UPDATE events SET body = replace(body, 'offers', 'offerz') WHERE seq = 3", /seq 3 .*hash_mismatch/],
    ['a deleted row', 'DELETE FROM events WHERE seq = 2', /seq 2 is missing.*missing_sequence/],
    ['a replaced signature', 'UPDATE events SET sig = (SELECT sig FROM events WHERE seq = 1) WHERE seq = 2', /seq 2 .*bad_signature/],
    ['a truncated tail', 'DELETE FROM events WHERE seq = 4', /ends at seq 3 but its head records seq 4.*truncated/],
    ['a chain head moved behind the last event', 'UPDATE chain_head SET seq = 3, hash = (SELECT hash FROM events WHERE seq = 3)', /chain head \(seq 3\) does not match the last event \(seq 4\).*head_mismatch/],
    ['a deleted device row', 'DELETE FROM device', /no record of the device.*device_missing/],
  ])('exits 2 naming the first break after %s', async (_name, sql, message) => {
    const dataDir = ledgerWithEvents();
    tamper(dataDir, sql);
    const result = await kioskctl('verify', '--data', dataDir);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, message);
  });

  it('exits 2 on a ledger whose device key was swapped and every event re-signed', async () => {
    const dataDir = ledgerWithEvents();
    rekeyLedger(dataDir);
    const result = await kioskctl('verify', '--data', dataDir);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, /current public key is not the one in the device key vault.*key_mismatch; 4 events before it verified/);
  });

  it('exits 2 on a ledger with a damaged page, in one sentence', async () => {
    const dataDir = ledgerWithEvents();
    const db = new Database(ledgerPath(dataDir), { readonly: true });
    const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events'").get() as { rootpage: number };
    db.close();
    const fd = fs.openSync(ledgerPath(dataDir), 'r+');
    fs.writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, (rootpage - 1) * 4096 + 8);
    fs.closeSync(fd);
    const result = await kioskctl('verify', '--data', dataDir);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, /^Ledger broken: The file is damaged: .*\(file_damaged;/);
  });

  it('does not create a ledger in a directory that has none', async () => {
    const dataDir = tempDataDir();
    const result = await kioskctl('verify', '--data', dataDir);
    expect(result.code).toBe(1);
    expectOneSentence(result.stderr, /^kioskctl: There is no ledger in .* \(ledger\.sqlite does not exist\)\.$/);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('says so in one sentence when the directory does not exist', async () => {
    const result = await kioskctl('status', '--data', path.join(tempDataDir(), 'missing'));
    expect(result.code).toBe(1);
    expectOneSentence(result.stderr, /^kioskctl: The data directory .*missing does not exist\.$/);
  });

  it('says so in one sentence when the file is not a database', async () => {
    const dataDir = tempDataDir();
    fs.writeFileSync(ledgerPath(dataDir), crypto.randomBytes(8192));
    const result = await kioskctl('verify', '--data', dataDir);
    expect(result.code).toBe(1);
    expectOneSentence(result.stderr, /^kioskctl: The consent ledger file is damaged or is not a ledger\.$/);
  });

  it('says so in one sentence when another process holds the ledger locked', async () => {
    const dataDir = ledgerWithEvents();
    const holder = new Database(ledgerPath(dataDir));
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const result = await kioskctl('status', '--data', dataDir);
      expect(result.code).toBe(1);
      expectOneSentence(result.stderr, /^kioskctl: The consent ledger is locked by another process\.$/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });
});

describe('kioskctl export', () => {
  it('lets an auditor verify every signature and opening with only the export, Ed25519 and RFC 8785', async () => {
    const result = await kioskctl('export', '--data', ledgerWithEvents());
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/contains personal data/);
    const [header, ...rest] = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const events = rest.filter((record) => record.record === 'event');
    const publicKey = crypto.createPublicKey(header.publicKey.pem);
    expect(events).toHaveLength(4);
    for (const { event, subject } of events) {
      const { sig, ...body } = event;
      const bytes = Buffer.from(canonicalize(body)!, 'utf8');
      expect(crypto.verify(null, bytes, publicKey, Buffer.from(sig, 'base64url'))).toBe(true);
      const commitment = crypto.createHash('sha256').update(canonicalize(subject)!).digest('hex');
      expect(commitment).toBe(body.subject.commitment);
    }
    const raw = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: header.publicKey.raw }, format: 'jwk' });
    expect(raw.equals(publicKey)).toBe(true);
    expect(rest.at(-1)).toMatchObject({ record: 'head', statement: { events: 4, head: { seq: 4 }, break: null }, sig: expect.any(String) });
  });

  it('writes one signed receipt per consent, and only per consent, without phone numbers under --no-personal-data', async () => {
    const args = ['export', '--data', ledgerWithEvents({ observed: true }), '--format', 'receipts', '--no-personal-data'];
    const result = await kioskctl(...args, '--profile', 'profiles/demo.json');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('9012345678');
    const records = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((record) => record.record)).toEqual(['header', 'receipt', 'receipt', 'receipt', 'receipt', 'head']);
    const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: records[0].publicKey.raw }, 'EdDSA');
    const receipts = [];
    for (const { jws } of records.filter((line) => line.record === 'receipt')) {
      receipts.push(JSON.parse(new TextDecoder().decode((await compactVerify(jws, key, { algorithms: ['EdDSA'] })).payload)));
    }
    expect(receipts.map((receipt) => receipt.iso27560.events[0].eventState)).toEqual(
      ['ConsentGiven', 'ConsentGiven', 'ConsentGiven', 'ConsentWithdrawn'].map((state) => `https://w3id.org/dpv#${state}`),
    );
    expect(receipts[2].kantara).toMatchObject({ language: 'en', piiControllers: [{ piiController: 'Sakura Bank, Ltd. (demo)' }] });
    expectOneSentence((await kioskctl(...args)).stderr, /^kioskctl: Receipts name the data controller from the provisioning profile/);
  });

  it.each([
    ['a changed byte', "UPDATE events SET body = replace(body, 'offers', 'offerz') WHERE seq = 3", /seq 3 .*\(hash_mismatch\)/],
    ['a truncated tail', 'DELETE FROM events WHERE seq = 4', /head records seq 4.*\(truncated\)/],
  ])('refuses a ledger that verify calls broken after %s, in one sentence naming the break', async (_name, sql, names) => {
    const dataDir = ledgerWithEvents();
    tamper(dataDir, sql);
    const out = path.join(tempDataDir(), 'export.jsonl');
    const result = await kioskctl('export', '--data', dataDir, '--no-personal-data', '--out', out);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, /^kioskctl: not exported, the ledger is broken: .*add --allow-broken/);
    expect(result.stderr).toMatch(names);
    expect(result.stdout).toBe('');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('exports a broken ledger with --allow-broken, the break in the header and in the signed head', async () => {
    const dataDir = ledgerWithEvents();
    tamper(dataDir, "UPDATE events SET body = replace(body, 'offers', 'offerz') WHERE seq = 3");
    const result = await kioskctl('export', '--data', dataDir, '--no-personal-data', '--allow-broken');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/exporting a broken ledger; the export records the break \(hash_mismatch\)/);
    const records = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const breakage = { problem: 'hash_mismatch', seq: 3 };
    expect(records[0]).toMatchObject({ record: 'header', break: breakage });
    const head = records.at(-1);
    expect(head).toMatchObject({ record: 'head', statement: { events: 4, break: breakage } });
    const key = crypto.createPublicKey(records[0].publicKey.pem);
    expect(crypto.verify(null, Buffer.from(canonicalize(head.statement)!), key, Buffer.from(head.sig, 'base64url'))).toBe(true);
  });
});

describe('kioskctl rotate-key', () => {
  it('rotates the device key in the chain, and the ledger verifies and exports across it', async () => {
    const dataDir = ledgerWithEvents();
    const result = await kioskctl('rotate-key', '--data', dataDir, '--reason', 'scheduled');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Key rotated at seq 5: key [0-9a-f]{32} retired, now signing with key [0-9a-f]{32}\.$/m);
    const { ledger } = freshLedger({ dataDir });
    ledger.capture(draft(), terms);
    ledger.close();
    expect((await kioskctl('verify', '--data', dataDir)).stdout).toMatch(/7 events verified \(6 consents, 0 clock observations, 1 key rotations, 0 service events\)/);
    const exported = await kioskctl('export', '--data', dataDir, '--no-personal-data');
    const header = JSON.parse(exported.stdout.split('\n')[0]!);
    expect(header.keys.map((key: { fromSeq: number }) => key.fromSeq)).toEqual([1, 6]);
  });

  it('refuses while the kiosk has the ledger open, and changes nothing', async () => {
    const { ledger, dataDir } = freshLedger();
    ledger.capture(draft(), terms);
    try {
      const result = await kioskctl('rotate-key', '--data', dataDir);
      expect(result.code).toBe(1);
      expectOneSentence(result.stderr, /^kioskctl: The ledger is open in another process \(is the kiosk running\?\); stop the kiosk, then rotate its key\.$/);
      expect(ledger.keys()).toHaveLength(1);
      ledger.capture(draft(), terms);
      expect(ledger.verify()).toMatchObject({ ok: true, events: 4 });
    } finally {
      ledger.close();
    }
  });
});

describe('kioskctl status', () => {
  it('prints outbox counts, chain head and funnel counters as JSON', async () => {
    const result = await kioskctl('status', '--json', '--data', ledgerWithEvents());
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({ schemaVersion: 5, outbox: { pending: 4, synced: 0, dead: 0 }, chainHead: { seq: 4 } });
    expect(status.events).toEqual({ consent: 4, clock_observation: 0, key_rotation: 0, service: 0 });
    expect(status.funnel).toContainEqual(expect.objectContaining({ purposeId: 'offers', outcome: 'declined', count: 1 }));
  });

  it('counts a clock observation as a chain event, never as a consent or an acceptance', async () => {
    const result = await kioskctl('status', '--data', ledgerWithEvents({ observed: true }));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Chain events {4}4 consents, 1 clock observations, 0 key rotations, 0 service events$/m);
    const accepted = result.stdout.split('\n').filter((line) => / accepted /.test(line));
    expect(accepted.reduce((sum, line) => sum + Number(line.trim().split(/\s+/).at(-1)), 0)).toBe(4);
  });
});
