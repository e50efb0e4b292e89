import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../../server/start-server.ts';
import { ApiKeys, SignedApiStatement } from '../../../shared/contract/api-statement.ts';
import { EnrolmentResponse } from '../../../shared/contract/sync.ts';
import { canonicalApiStatement } from '../../../shared/event-bytes.ts';
import { publicKeyObject } from '../../../server/keys/ed25519.ts';
import { TestKiosk } from './test-kiosk.ts';
import { startTestServer, type TestServer } from './test-server.ts';

let api: TestServer;
beforeEach(async () => {
  api = await startTestServer();
});
afterEach(() => api.stop());

async function apiKeys(): Promise<ApiKeys['keys']> {
  const response = await api.get('/v1/keys');
  expect(response.status).toBe(200);
  return ApiKeys.parse(await response.json()).keys;
}

/** What an auditor does with a statement: find its key at GET /v1/keys, check the signature over the canonical bytes. */
async function verifiesWithPublishedKey({ statement, sig }: SignedApiStatement): Promise<boolean> {
  const key = (await apiKeys()).find((k) => k.keyId === statement.keyId);
  return key !== undefined && verify(null, Buffer.from(canonicalApiStatement(statement)), publicKeyObject(key.publicKey), Buffer.from(sig, 'base64url'));
}

async function head(credential: string): Promise<SignedApiStatement> {
  const response = await api.get('/v1/devices/head', credential);
  expect(response.status).toBe(200);
  return SignedApiStatement.parse(await response.json());
}

describe('the API signs what it holds (statements)', () => {
  it('publishes one Ed25519 statement key, unauthenticated, and hands the same keys out at enrolment', async () => {
    const keys = await apiKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.validUntil).toBeNull();
    const kiosk = new TestKiosk();
    const response = await api.post('/v1/devices/enrol', kiosk.enrolmentRequest(await api.token()));
    expect(EnrolmentResponse.parse(await response.json()).apiKeys).toEqual(keys);
  });

  it('states a device head of null before its first event, signed with the published key', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const statement = await head(credential);
    expect(statement.statement).toMatchObject({ v: 1, type: 'device_head', deviceId: kiosk.deviceId, head: null });
    expect(await verifiesWithPublishedKey(statement)).toBe(true);
    expect(await verifiesWithPublishedKey({ ...statement, statement: { ...statement.statement, issuedAt: '2030-01-01T00:00:00.000Z' } })).toBe(false);
  });

  it('answers every ingest with the contiguous head it now holds, signed after the commit', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const items = kiosk.events(3);
    const { statement } = await api.ingest(credential, items);
    expect(statement.statement.head).toEqual({ seq: 3, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await verifiesWithPublishedKey(statement)).toBe(true);
    expect((await head(credential)).statement.head).toEqual(statement.statement.head);
  });

  it('names only the gapless prefix while a batch is missing, and the whole chain once it arrives', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const [first, second, third] = [kiosk.events(2), kiosk.events(2), kiosk.events(2)];
    expect((await api.ingest(credential, first)).statement.statement.head?.seq).toBe(2);
    expect((await api.ingest(credential, third)).statement.statement.head?.seq).toBe(2);
    expect((await api.ingest(credential, second)).statement.statement.head?.seq).toBe(6);
  });

  it('refuses the head statement without a device credential', async () => {
    expect((await api.get('/v1/devices/head')).status).toBe(401);
    expect((await api.get('/v1/devices/head', 'not-a-credential')).status).toBe(401);
  });

  it('keeps its statement key across restarts, so earlier statements still verify', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const before = await head(credential);
    await api.restart();
    expect(await apiKeys()).toHaveLength(1);
    expect(await verifiesWithPublishedKey(before)).toBe(true);
    expect((await head(credential)).statement.keyId).toBe(before.statement.keyId);
  });
});

describe('replacing the statement key', () => {
  it('publishes the retired key with the end of its validity, keeps its statements checkable, and never takes it back', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'statement-keys-'));
    const keyFile = (name: string) => {
      const path = join(keyDir, name);
      writeFileSync(path, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
      return path;
    };
    const [first, second] = [keyFile('first.pem'), keyFile('second.pem')];
    try {
      await api.stop();
      api = await startTestServer({ statementKeyFile: first });
      const kiosk = new TestKiosk();
      const credential = await api.enrol(kiosk);
      const old = await head(credential);
      await api.server.close();
      api.server = await startServer({ dataDir: api.dataDir, databaseUrl: api.databaseUrl, port: 0, statementKeyFile: second, log: () => {} });
      const keys = await apiKeys();
      expect(keys.map((k) => [k.keyId === old.statement.keyId, k.validUntil === null])).toEqual([[true, false], [false, true]]);
      expect(await verifiesWithPublishedKey(old)).toBe(true);
      expect((await head(credential)).statement.keyId).not.toBe(old.statement.keyId);
      await api.server.close();
      await expect(startServer({ dataDir: api.dataDir, databaseUrl: api.databaseUrl, port: 0, statementKeyFile: first, log: () => {} })).rejects.toThrow(/was retired at .* and is never used again/);
      api.server = await startServer({ dataDir: api.dataDir, databaseUrl: api.databaseUrl, port: 0, statementKeyFile: second, log: () => {} });
    } finally {
      rmSync(keyDir, { recursive: true, force: true });
    }
  });
});

describe('ingest of every chain event', () => {
  it('accepts version 1 and 2 consents, clock observations and key rotations in one chain', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const observation = await kiosk.observe(api.server.url, credential);
    const items = [kiosk.legacyEvent(), kiosk.event(), observation, kiosk.rotate()];
    const { results } = await api.ingest(credential, items);
    expect(results).toEqual(items.map((item) => ({ id: item.event.id, status: 'accepted' })));
    expect((await api.ingest(credential, [kiosk.event()])).results[0]!.status).toBe('accepted');
  });

  it('keeps a technician\'s service event in the chain and never takes it for a consent', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const items = [kiosk.service('session_started'), kiosk.service('test_capture'), kiosk.event({ kind: 'opt_out' })];
    const { results } = await api.ingest(credential, items);
    expect(results).toEqual(items.map((item) => ({ id: item.event.id, status: 'accepted' })));
    // the consent after the service events is chained to them, and the API's check still knows only that opt-out
    expect(await api.check('+819012345678', 'balance-alerts')).toMatchObject({ state: 'opted_out' });
    const fresh = new TestKiosk();
    const freshCredential = await api.enrol(fresh);
    expect((await api.ingest(freshCredential, [fresh.service('test_capture')])).results[0]!.status).toBe('accepted');
    expect(await api.check('+819087654321', 'balance-alerts')).toMatchObject({ allowed: false, state: 'unknown' });
  });

  it('ignores a clock offset an older kiosk still sends with its batch', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const response = await api.post('/v1/ingest', { clockOffsetMs: 9 * 365 * 86_400_000, events: [kiosk.event({ kind: 'opt_in' })] }, credential);
    expect(response.status).toBe(200);
    const check = await api.check('+819012345678', 'balance-alerts');
    expect(Math.abs(Date.parse(check.effectiveAt!) - Date.now())).toBeLessThan(60_000);
  });

  it('refuses a subject opening on an event that is not a consent, and stores the rest', async () => {
    const kiosk = new TestKiosk();
    const credential = await api.enrol(kiosk);
    const rotation = kiosk.rotate();
    const withOpening = { ...rotation, subject: { phone: '+819012345678', salt: 'A'.repeat(22) } };
    const { results } = await api.ingest(credential, [withOpening]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: 'invalid_event' });
  });
});
