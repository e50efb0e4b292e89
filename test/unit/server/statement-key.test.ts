import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync, verify } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SignedApiStatement } from '../../../shared/contract/api-statement.ts';
import { publicKeyObject } from '../../../server/keys/ed25519.ts';
import { createSecretFile } from '../../../server/keys/secret-file.ts';
import { loadStatementKey } from '../../../server/keys/statement-key.ts';
import { createApiKeyRegistry } from '../../../server/store/api-keys.ts';
import { openBareStore, type BareStore } from './test-store.ts';

// Which of the API's own signed statements a kiosk hands back count (a clock observation is evidence of time only
// if its statement does): the key valid when it was issued, its signature, the device it is about. And the keys
// the API publishes (GET /v1/keys) with their validity, so an auditor can check a statement from outside.
const DEVICE = '0190a000-0000-7000-8000-0000000000d1';
const OTHER_DEVICE = '0190a000-0000-7000-8000-0000000000d2';
const HEAD = { seq: 3, hash: 'c'.repeat(64) };
const T0 = Date.parse('2026-03-01T08:00:00.000Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

let store: BareStore;
let nowMs: number;
const clock = () => new Date(nowMs);
beforeEach(async () => {
  store = await openBareStore();
  nowMs = T0;
});
afterEach(() => store.close());

const registry = () => createApiKeyRegistry(store.db, clock);
/** A statement key file as an operator configures it (`openssl genpkey -algorithm ed25519`). */
function keyFile(name: string): string {
  const path = join(store.dataDir, name);
  createSecretFile(path, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  return path;
}
const withStatement = (signed: SignedApiStatement, change: Partial<SignedApiStatement['statement']>): SignedApiStatement => ({ ...signed, statement: { ...signed.statement, ...change } });

describe('the API statement key: which statements a kiosk hands back are the API’s own', () => {
  it('accepts its own statement about the device and nothing altered, signed by another key or about another device', async () => {
    const key = await loadStatementKey({ dataDir: store.dataDir }, registry(), clock);
    nowMs = T0 + HOUR;
    const signed = key.headStatement({ deviceId: DEVICE, head: HEAD });
    expect(signed.statement).toEqual({ v: 1, type: 'device_head', keyId: key.keyId, deviceId: DEVICE, head: HEAD, issuedAt: iso(T0 + HOUR) });
    expect(await key.fault(signed, DEVICE)).toBeNull();
    expect(await key.fault(key.headStatement({ deviceId: DEVICE, head: null }), DEVICE)).toBeNull();
    expect(await key.fault(signed, OTHER_DEVICE)).toBe('other_device');
    expect(await key.fault(withStatement(signed, { head: { seq: 4, hash: HEAD.hash } }), DEVICE)).toBe('bad_signature');
    expect(await key.fault({ ...signed, sig: key.headStatement({ deviceId: OTHER_DEVICE, head: HEAD }).sig }, DEVICE)).toBe('bad_signature');
    expect(await key.fault(withStatement(signed, { keyId: 'k'.repeat(16) }), DEVICE)).toBe('unknown_key');
    // before the key existed: no statement of it can be dated then
    expect(await key.fault(withStatement(signed, { issuedAt: iso(T0 - 1) }), DEVICE)).toBe('unknown_key');
    expect(await key.fault(key.headStatement({ deviceId: DEVICE, head: HEAD }), DEVICE)).toBeNull();
  });

  it('after a new key is configured, keeps the old one valid exactly for what it signed while in use, and publishes both', async () => {
    const first = await loadStatementKey({ dataDir: store.dataDir, statementKeyFile: keyFile('first.pem') }, registry(), clock);
    const atStart = first.headStatement({ deviceId: DEVICE, head: HEAD });
    nowMs = T0 + HOUR;
    const before = first.headStatement({ deviceId: DEVICE, head: HEAD });
    nowMs = T0 + 2 * HOUR;
    const atSwitch = first.headStatement({ deviceId: DEVICE, head: HEAD });
    const second = await loadStatementKey({ dataDir: store.dataDir, statementKeyFile: keyFile('second.pem') }, registry(), clock);
    nowMs = T0 + 2 * HOUR + 1;
    const after = first.headStatement({ deviceId: DEVICE, head: HEAD });
    expect(second.keyId).not.toBe(first.keyId);
    for (const signed of [atStart, before, atSwitch]) expect(await second.fault(signed, DEVICE)).toBeNull();
    expect(await second.fault(after, DEVICE)).toBe('unknown_key');
    expect(await second.fault(second.headStatement({ deviceId: DEVICE, head: HEAD }), DEVICE)).toBeNull();
    expect(await second.keys()).toEqual([
      { keyId: first.keyId, publicKey: expect.any(String), validFrom: iso(T0), validUntil: iso(T0 + 2 * HOUR) },
      { keyId: second.keyId, publicKey: expect.any(String), validFrom: iso(T0 + 2 * HOUR), validUntil: null },
    ]);
  });

  it('keeps a key’s validity when the API restarts with it, and never reopens a retired key', async () => {
    const firstFile = keyFile('first.pem');
    const secondFile = keyFile('second.pem');
    const first = await loadStatementKey({ dataDir: store.dataDir, statementKeyFile: firstFile }, registry(), clock);
    nowMs = T0 + HOUR;
    await loadStatementKey({ dataDir: store.dataDir, statementKeyFile: secondFile }, registry(), clock);
    nowMs = T0 + 2 * HOUR;
    const restarted = await loadStatementKey({ dataDir: store.dataDir, statementKeyFile: secondFile }, registry(), clock);
    expect((await restarted.keys()).map((key) => [key.validFrom, key.validUntil])).toEqual([
      [iso(T0), iso(T0 + HOUR)],
      [iso(T0 + HOUR), null],
    ]);
    await expect(loadStatementKey({ dataDir: store.dataDir, statementKeyFile: firstFile }, registry(), clock)).rejects.toThrow(
      `the statement key ${first.keyId} was retired at ${iso(T0 + HOUR)} and is never used again; configure a new key`,
    );
    expect((await restarted.keys()).map((key) => key.validUntil)).toEqual([iso(T0 + HOUR), null]);
  });

  it('makes no key of its own on a shared database that has one, and makes one on a shared database that has none', async () => {
    expect(await registry().any()).toBe(false);
    const made = await loadStatementKey({ dataDir: store.dataDir }, registry(), clock, true);
    expect(await registry().any()).toBe(true);
    const elsewhere = join(store.dataDir, 'instance-2');
    await expect(loadStatementKey({ dataDir: elsewhere }, registry(), clock, true)).rejects.toThrow(
      `the statement key file ${join(elsewhere, 'statement-key.pem')} is missing and this database already has a statement key: give every instance the same key file (statementKeyFile)`,
    );
    expect(await made.keys()).toHaveLength(1);
  });

  it('on a database of its own, makes a new key when its key file is gone, retiring the old one', async () => {
    const lost = await loadStatementKey({ dataDir: store.dataDir }, registry(), clock);
    rmSync(join(store.dataDir, 'statement-key.pem'));
    nowMs = T0 + HOUR;
    const made = await loadStatementKey({ dataDir: store.dataDir }, registry(), clock);
    expect(made.keyId).not.toBe(lost.keyId);
    expect((await made.keys()).map((key) => [key.keyId, key.validUntil])).toEqual([
      [lost.keyId, iso(T0 + HOUR)],
      [made.keyId, null],
    ]);
  });

  it('signs consent receipts with the published key', async () => {
    const key = await loadStatementKey({ dataDir: store.dataDir }, registry(), clock);
    const bytes = Buffer.from('eyJhbGciOiJFZERTQSJ9.eyJyZWNlaXB0IjoxfQ');
    const [published] = await key.keys();
    expect(key.receiptSigner.keyId).toBe(published!.keyId);
    expect(Buffer.from(key.receiptSigner.publicKey).toString('base64url')).toBe(published!.publicKey);
    expect(verify(null, bytes, publicKeyObject(published!.publicKey), key.receiptSigner.sign(bytes))).toBe(true);
  });
});
