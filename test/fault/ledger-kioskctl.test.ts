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
import { consentFor, draft, freshLedger, tamper, tempDataDir, terms } from '../unit/ledger/fixtures.ts';

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

function ledgerWithEvents(): string {
  const { ledger, dataDir } = freshLedger();
  ledger.capture(draft(), terms);
  ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
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
    expect(result.stdout.trim()).toMatch(/^Ledger intact: 4 events verified, head seq 4 [0-9a-f]{16}…, 4 subject openings match/);
  });

  it.each([
    ['a changed byte', "UPDATE events SET body = replace(body, 'offers', 'offerz') WHERE seq = 3", /seq 3 .*hash_mismatch/],
    ['a deleted row', 'DELETE FROM events WHERE seq = 2', /seq 2 is missing.*missing_sequence/],
    ['a replaced signature', 'UPDATE events SET sig = (SELECT sig FROM events WHERE seq = 1) WHERE seq = 2', /seq 2 .*bad_signature/],
    ['a truncated tail', 'DELETE FROM events WHERE seq = 4', /ends at seq 3 but its head records seq 4.*truncated/],
  ])('exits 2 naming the first break after %s', async (_name, sql, message) => {
    const dataDir = ledgerWithEvents();
    tamper(dataDir, sql);
    const result = await kioskctl('verify', '--data', dataDir);
    expect(result.code).toBe(2);
    expectOneSentence(result.stderr, message);
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
  it('lets an auditor verify every signature with only the export, Ed25519 and RFC 8785', async () => {
    const result = await kioskctl('export', '--data', ledgerWithEvents());
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/contains personal data/);
    const [header, ...events] = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
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
  });

  it('writes one receipt per consent, signed by the device key, without phone numbers under --no-personal-data', async () => {
    const args = ['export', '--data', ledgerWithEvents(), '--format', 'receipts', '--no-personal-data'];
    const result = await kioskctl(...args, '--profile', 'profiles/demo.json');
    expect(result.code).toBe(0);
    const [header, ...lines] = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: header.publicKey.raw }, 'EdDSA');
    const receipts = [];
    for (const { jws } of lines.filter((line) => line.record === 'receipt')) {
      receipts.push(JSON.parse(new TextDecoder().decode((await compactVerify(jws, key, { algorithms: ['EdDSA'] })).payload)));
    }
    expect(JSON.stringify(receipts)).not.toContain('9012345678');
    expect(receipts.map((receipt) => receipt.iso27560.events[0].eventState)).toEqual(
      ['ConsentGiven', 'ConsentGiven', 'ConsentGiven', 'ConsentWithdrawn'].map((state) => `https://w3id.org/dpv#${state}`),
    );
    expect(receipts[2].kantara).toMatchObject({ language: 'en', piiControllers: [{ piiController: 'Sakura Bank, Ltd. (demo)' }] });
    expectOneSentence((await kioskctl(...args)).stderr, /^kioskctl: Receipts name the data controller from the provisioning profile/);
  });
});

describe('kioskctl status', () => {
  it('prints outbox counts, chain head and funnel counters as JSON', async () => {
    const result = await kioskctl('status', '--json', '--data', ledgerWithEvents());
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({ schemaVersion: 3, outbox: { pending: 4, synced: 0, dead: 0 }, chainHead: { seq: 4 } });
    expect(status.funnel).toContainEqual(expect.objectContaining({ purposeId: 'offers', outcome: 'declined', count: 1 }));
  });
});
