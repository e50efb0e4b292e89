import crypto, { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Placement } from '../../../shared/contract/primitives.ts';
import { placementOf } from '../../../electron/host/environment-settings.ts';
import { checkApiStatement } from '../../../electron/sync/api-statements.ts';
import { readCredential } from '../../../electron/sync/enrolment.ts';
import type { SyncWorker } from '../../../electron/sync/sync-worker.ts';
import { startFaultProxy, type Fault } from '../../fault/fixtures/sync-fault-proxy.ts';
import { fastWorker, publishedKeys, startApi, tempDir } from '../../fault/fixtures/sync-harness.ts';
import { expectServerHoldsExactlyWhatWasCaptured } from '../../fault/fixtures/sync-invariant.ts';
import { atmTerms, consentDraft, openTestKiosk, type TestKiosk } from '../../fault/fixtures/sync-kiosk.ts';
import { demoProfile } from '../host/host-fixture.ts';
import { apiStatementKey } from '../ledger/fixtures.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const placement: Placement = { organisationUnit: 'Retail banking', siteId: 'shinjuku', siteName: 'Shinjuku branch', terminalId: 'ATM-0413' };

/** The real API behind a proxy that may damage the answer of one path, a kiosk and a worker that logs. */
async function world(
  options: { damage?: (path: string, body: Buffer) => Buffer; damageRequest?: (path: string, body: Buffer) => Buffer; plan?: (index: number) => Fault } = {},
) {
  const api = await startApi(tempDir('statements-api'));
  cleanups.push(() => api.close());
  let ingest = 0;
  const proxy = await startFaultProxy({
    upstream: api.url,
    plan: ({ path }) => (path === '/v1/ingest' && options.plan ? options.plan(ingest++) : { kind: 'pass' }),
    ...(options.damage ? { rewriteAnswer: options.damage } : {}),
    ...(options.damageRequest ? { rewrite: options.damageRequest } : {}),
  });
  cleanups.push(() => proxy.close());
  const dir = tempDir('statements-kiosk');
  const kiosk: TestKiosk = openTestKiosk(dir);
  cleanups.push(() => kiosk.close());
  const log: string[] = [];
  const worker: SyncWorker = fastWorker(kiosk.ledger, {
    apiUrl: proxy.url,
    dataDir: dir,
    enrolmentToken: await api.store.devices.createToken(),
    batchSize: 5,
    placement: () => placement,
    log: (line) => log.push(line),
  });
  cleanups.push(() => worker.stop());
  const sync = async (count: number) => {
    for (let i = 0; i < count; i++) kiosk.ledger.capture(consentDraft(`+8190${77_770_000 + i}`, 'opt_in', ['payment_notices']), atmTerms);
    worker.start();
    worker.wake('capture');
    await vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout: 10_000, interval: 20 });
  };
  return { api, proxy, dir, kiosk, log, worker, sync };
}

const flipSignature = (body: Buffer) => {
  const signed = JSON.parse(body.toString('utf8')) as { sig: string };
  return Buffer.from(JSON.stringify({ ...signed, sig: `${signed.sig[0] === 'A' ? 'B' : 'A'}${signed.sig.slice(1)}` }));
};

describe('the API statements a kiosk relies on', () => {
  it('pins the keys the API enrolled it with, and records a clock observation they verify', async () => {
    const { api, dir, kiosk, sync } = await world();
    await sync(2);
    const lookup = readCredential(dir, kiosk.ledger);
    if (lookup.state !== 'enrolled') throw new Error('expected an enrolled kiosk');
    const { apiKeys } = await publishedKeys(api, kiosk.ledger.deviceId);
    expect(lookup.credential.apiKeys).toEqual(apiKeys.keys);
    const [observation] = [...kiosk.ledger.exportRecords({ personalData: false })].flatMap((record) =>
      record.record === 'event' && record.event.v === 2 && record.event.type === 'clock_observation' ? [record.event] : [],
    );
    expect(observation).toBeDefined();
    expect(checkApiStatement(observation!.statement, apiKeys.keys, kiosk.ledger.deviceId)).toEqual({ ok: true });
  });

  it('does not record a clock observation whose statement does not verify, and syncs on', async () => {
    const { api, dir, kiosk, log, sync } = await world({ damage: (path, body) => (path === '/v1/devices/head' ? flipSignature(body) : body) });
    await sync(3);
    expect(kiosk.ledger.eventCounts()).toEqual({ consent: 3, clock_observation: 0, key_rotation: 0, service: 0 });
    expect(log).toContainEqual(expect.stringMatching(/^clock observation not recorded: the statement's signature does not verify with key [0-9a-f]{32}$/));
    await expectServerHoldsExactlyWhatWasCaptured(api.store, [dir]);
  });

  it("pins the API's new statement key when the API replaced its key, and records observations it signs", async () => {
    const apiDir = tempDir('statements-api');
    const api = await startApi(apiDir);
    const dir = tempDir('statements-kiosk');
    const kiosk = openTestKiosk(dir);
    cleanups.push(() => kiosk.close());
    const log: string[] = [];
    const worker = () =>
      fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir: dir, enrolmentToken: token, observationIntervalMs: 0, log: (line) => log.push(line) });
    const token = await api.store.devices.createToken();
    const syncOnce = async (phone: string) => {
      kiosk.ledger.capture(consentDraft(phone, 'opt_in', ['payment_notices']), atmTerms);
      const running = worker();
      running.start();
      await vi.waitFor(() => expect(running.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout: 10_000, interval: 20 });
      await running.stop();
    };
    await syncOnce('+819077771111');
    const [oldKey] = (await publishedKeys(api, kiosk.ledger.deviceId)).apiKeys.keys;
    await api.close();

    const keyFile = join(tempDir('statements-key'), 'statement-key.pem');
    writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const replaced = await startApi(apiDir, api.port, { statementKeyFile: keyFile });
    cleanups.push(() => replaced.close());
    await syncOnce('+819077772222');

    // one each sync, the second signed by the API's new key
    expect(kiosk.ledger.eventCounts().clock_observation).toBe(2);
    const lookup = readCredential(dir, kiosk.ledger);
    const pinned = lookup.state === 'enrolled' ? lookup.credential.apiKeys : undefined;
    const published = (await publishedKeys(replaced, kiosk.ledger.deviceId)).apiKeys.keys;
    expect(published).toHaveLength(2);
    expect(pinned).toEqual(published);
    expect(pinned?.find((key) => key.keyId === oldKey!.keyId)?.validUntil).not.toBeNull();
    expect(log).toContainEqual(expect.stringMatching(/^pinned the API's statement keys again: added [0-9a-f]{32}$/));
    expect(log.filter((line) => line.includes('not recorded'))).toEqual([]);
  });

  it('keeps the best verified statement of the ingest answers for the export, and none that does not verify', async () => {
    const { kiosk, sync } = await world();
    await sync(12);
    const records = [...kiosk.ledger.exportRecords({ personalData: false })];
    const head = kiosk.ledger.status().chainHead!;
    expect(records.at(-2)).toMatchObject({ record: 'api_statement', statement: { statement: { deviceId: kiosk.ledger.deviceId, head } } });

    const damaged = await world({ damage: (path, body) => (path === '/v1/ingest' ? damageStatement(body) : body) });
    await damaged.sync(3);
    expect([...damaged.kiosk.ledger.exportRecords({ personalData: false })].some((record) => record.record === 'api_statement')).toBe(false);
    expect(damaged.log).toContainEqual(expect.stringContaining("an ingest answer's statement was not kept"));
  });

  it('reports a chain gap only when the API misses an event once the batches in flight have settled', async () => {
    // the second batch's answer is held back, so the API commits the third before it: seq 11 arrives before seq 6
    const delayed = await world({ plan: (index) => (index === 1 ? { kind: 'delay', ms: 300 } : { kind: 'pass' }) });
    await delayed.sync(14);
    expect(delayed.proxy.maxInFlight()).toBeGreaterThan(1);
    expect(delayed.log.filter((line) => /missing|chain/.test(line))).toEqual([]);


    // an event whose signature is damaged on the wire is rejected: the API's chain really stops before it
    const rejecting = await world({ damageRequest: (path, body) => (path === '/v1/ingest' ? damageEventSig(body, 7) : body) });
    await rejecting.sync(9);
    expect(rejecting.kiosk.ledger.status().outbox.dead).toBe(1);
    expect(rejecting.log).toContainEqual(
      expect.stringMatching(/^the API's chain for this device stops at seq 6: seq 7 is missing there, though it acknowledged up to seq 10$/),
    );
  });

  it('sends where the terminal stands at enrolment and with every heartbeat', async () => {
    const { api, kiosk, sync } = await world();
    await sync(1);
    expect((await publishedKeys(api, kiosk.ledger.deviceId)).deviceKeys.placement).toEqual(placement);
  });
});

/** The request with the signature of the event at `seq` damaged. */
function damageEventSig(body: Buffer, seq: number): Buffer {
  const batch = JSON.parse(body.toString('utf8')) as { events: Array<{ event: { seq: number; sig: string } }> };
  for (const { event } of batch.events) if (event.seq === seq) event.sig = `${event.sig[0] === 'A' ? 'B' : 'A'}${event.sig.slice(1)}`;
  return Buffer.from(JSON.stringify(batch));
}

function damageStatement(body: Buffer): Buffer {
  const answer = JSON.parse(body.toString('utf8')) as { statement: { sig: string } };
  return Buffer.from(JSON.stringify({ ...answer, statement: JSON.parse(flipSignature(Buffer.from(JSON.stringify(answer.statement))).toString('utf8')) }));
}

describe('checking one statement', () => {
  const key = apiStatementKey();
  const deviceId = crypto.randomUUID();

  it.each([
    ['one about another device', () => key.sign(crypto.randomUUID(), new Date()), /^the statement is about device [0-9a-f-]{36}, not this one$/],
    ['one signed by a key the kiosk has not pinned', () => apiStatementKey().sign(deviceId, new Date()), /which this kiosk has not pinned/],
    ['one issued before its key was valid', () => key.sign(deviceId, new Date('2025-12-31T23:59:59.000Z')), /outside the validity/],
    ['one whose signature was damaged', () => ({ ...key.sign(deviceId, new Date()), sig: 'A'.repeat(86) }), /signature does not verify/],
  ])('refuses %s', (_name, make, reason) => {
    const check = checkApiStatement(make(), key.pinned, deviceId);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });

  it('accepts one the pinned key signed about this device while valid', () => {
    expect(checkApiStatement(key.sign(deviceId, new Date()), key.pinned, deviceId)).toEqual({ ok: true });
  });

  it('marks one signed by a key it has not pinned, so the kiosk asks the API for its keys again', () => {
    const stranger = apiStatementKey().sign(deviceId, new Date());
    expect(checkApiStatement(stranger, key.pinned, deviceId)).toEqual({
      ok: false,
      reason: `the statement is signed by key ${stranger.statement.keyId}, which this kiosk has not pinned`,
      unpinnedKey: true,
    });
    expect(checkApiStatement(key.sign(crypto.randomUUID(), new Date()), key.pinned, deviceId)).not.toHaveProperty('unpinnedKey');
  });

  it("accepts one issued at either end of its key's validity, and refuses one issued a millisecond outside it", () => {
    const retired = [{ ...key.pinned[0]!, validFrom: '2026-01-01T00:00:00.000Z', validUntil: '2026-06-30T00:00:00.000Z' }];
    const at = (iso: string) => checkApiStatement(key.sign(deviceId, new Date(iso)), retired, deviceId);
    expect(at('2026-01-01T00:00:00.000Z')).toEqual({ ok: true });
    expect(at('2026-06-30T00:00:00.000Z')).toEqual({ ok: true });
    expect(at('2025-12-31T23:59:59.999Z')).toEqual({
      ok: false,
      reason: `the statement was issued at 2025-12-31T23:59:59.999Z, outside the validity of key ${key.pinned[0]!.keyId}`,
    });
    expect(at('2026-06-30T00:00:00.001Z')).toMatchObject({ ok: false, reason: expect.stringMatching(/outside the validity/) });
  });

  it('finds the key the statement names among several pinned ones', () => {
    const other = apiStatementKey();
    expect(checkApiStatement(key.sign(deviceId, new Date()), [...other.pinned, ...key.pinned], deviceId)).toEqual({ ok: true });
    expect(checkApiStatement({ ...key.sign(deviceId, new Date()), sig: other.sign(deviceId, new Date()).sig }, [...other.pinned, ...key.pinned], deviceId)).toEqual({
      ok: false,
      reason: `the statement's signature does not verify with key ${key.pinned[0]!.keyId}`,
    });
  });
});

describe('where the terminal stands', () => {
  it("is the profile's placement, with the terminal id from KIOSK_TERMINAL_ID when it is set", () => {
    const profile = { ...demoProfile(), placement };
    expect(placementOf(profile, {})).toEqual(placement);
    expect(placementOf(profile, { KIOSK_TERMINAL_ID: 'ATM-0999' })).toEqual({ ...placement, terminalId: 'ATM-0999' });
    expect(placementOf({ ...profile, placement: undefined }, { KIOSK_TERMINAL_ID: 'ATM-0999' })).toBeUndefined();
    expect(() => placementOf(profile, { KIOSK_TERMINAL_ID: 'x'.repeat(65) })).toThrow(/KIOSK_TERMINAL_ID/);
  });
});
