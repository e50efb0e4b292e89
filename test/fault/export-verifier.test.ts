import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import canonicalize from 'canonicalize';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningServer } from '../../server/start-server.ts';
import { fastWorker, publishedKeys, startApi, tempDir } from './fixtures/sync-harness.ts';
import { verifyExport, type Published } from './fixtures/independent-verifier.ts';
import { atmTerms, consentDraft, openTestKiosk } from './fixtures/sync-kiosk.ts';

const run = promisify(execFile);
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function exportLines(dataDir: string, ...flags: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [path.resolve('bin/kioskctl.js'), 'export', '--data', dataDir, ...flags], { env: { ...process.env, KIOSK_DATA_DIR: '' } });
  return stdout.trim().split('\n');
}

/**
 * A kiosk that captured, synced, rotated its key, captured and synced again, against the real API: the export an
 * auditor is handed, and what the auditor fetches from that API.
 */
async function syncedKioskExport(): Promise<{ api: RunningServer; dataDir: string; published: Published; lines: string[] }> {
  const api = await startApi(tempDir('export-api'));
  cleanups.push(() => api.close());
  const dataDir = tempDir('export-kiosk');
  const kiosk = openTestKiosk(dataDir);
  const token = await api.store.devices.createToken();
  const sync = async () => {
    const worker = fastWorker(kiosk.ledger, { apiUrl: api.url, dataDir, enrolmentToken: token, observationIntervalMs: 0 });
    worker.start();
    await vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout: 10_000, interval: 20 });
    await worker.stop();
  };
  kiosk.ledger.capture(consentDraft('+819066660001', 'opt_in', ['balance_alerts', 'payment_notices']), atmTerms);
  await sync();
  kiosk.ledger.rotateKey('scheduled');
  kiosk.ledger.capture(consentDraft('+819066660002', 'opt_in', ['offers']), atmTerms);
  kiosk.ledger.capture(consentDraft('+819066660001', 'opt_out', ['balance_alerts']), atmTerms);
  await sync();
  const deviceId = kiosk.ledger.deviceId;
  kiosk.close();
  return { api, dataDir, published: await publishedKeys(api, deviceId), lines: await exportLines(dataDir, '--no-personal-data') };
}

type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- export lines as JSON
const parse = (lines: string[]): Line[] => lines.map((line) => JSON.parse(line) as Line);
const sha256 = (data: crypto.BinaryLike) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * What someone holding the export but not the device key does to pass off another history: a fresh key pair for
 * each of the device's keys, every event re-signed (key ids, prev links, hashes, the rotation's next key), the header
 * and the head statement rewritten to match. It verifies perfectly against itself.
 */
function resignWithFreshKeys(lines: string[]): string[] {
  const records = parse(lines);
  const header = records[0]!;
  const fresh = new Map<string, { keyId: string; raw: string; pem: string; privateKey: crypto.KeyObject }>();
  for (const key of header.keys as Line[]) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'jwk' }).x!;
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    fresh.set(key.keyId, { keyId: sha256(Buffer.from(raw, 'base64url')).slice(0, 32), raw, pem, privateKey });
  }
  header.keys = (header.keys as Line[]).map((key) => {
    const { keyId, raw, pem } = fresh.get(key.keyId)!;
    return { keyId, raw, pem, fromSeq: key.fromSeq };
  });
  const current = fresh.get(header.keyId)!;
  header.keyId = current.keyId;
  header.publicKey = { raw: current.raw, pem: current.pem };
  let prev = '0'.repeat(64);
  for (const record of records.filter((line) => line.record === 'event')) {
    const { sig: _sig, ...body } = record.event as Line;
    const key = fresh.get(body.device.keyId)!;
    body.device = { ...body.device, keyId: key.keyId };
    body.prev = prev;
    if (body.type === 'key_rotation') {
      const next = fresh.get(body.next.keyId)!;
      body.next = { keyId: next.keyId, publicKey: next.raw };
    }
    const bytes = canonicalize(body)!;
    record.event = { ...body, sig: crypto.sign(null, Buffer.from(bytes), key.privateKey).toString('base64url') };
    record.hash = prev = sha256(bytes);
  }
  const head = records.at(-1)!;
  head.statement = { ...head.statement, keyId: current.keyId, head: { ...head.statement.head, hash: prev } };
  head.sig = crypto.sign(null, Buffer.from(canonicalize(head.statement)!), current.privateKey).toString('base64url');
  return records.filter((record) => record.record !== 'api_statement').map((record) => JSON.stringify(record));
}

describe('an auditor verifying an export from the doc alone', () => {
  let exported: Awaited<ReturnType<typeof syncedKioskExport>>;
  beforeAll(async () => {
    exported = await syncedKioskExport();
  });

  it('accepts the genuine export: every signature, the key rotation, the signed head, the API confirmation', async () => {
    const { lines, published } = exported;
    const records = parse(lines);
    expect(records.map((record) => record.record)).toEqual(['header', ...Array(records.length - 3).fill('event'), 'api_statement', 'head']);
    const verdict = verifyExport(lines, published);
    expect(verdict).toEqual({ ok: true, events: records.length - 3, confirmedUpTo: records.length - 3 });
  });

  it('checks each consent against its subject opening in an export with personal data', async () => {
    const lines = await exportLines(exported.dataDir);
    expect(lines.join('\n')).toContain('+819066660001');
    expect(verifyExport(lines, exported.published)).toMatchObject({ ok: true });
    const records = parse(lines);
    const consent = records.find((record) => record.record === 'event' && record.subject)!;
    consent.subject.phone = '+819066669999';
    expect(verifyExport(records.map((record) => JSON.stringify(record)), exported.published)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not open its commitment'),
    });
  });

  it('catches an export re-signed with fresh keys, though it verifies against itself', () => {
    const forged = resignWithFreshKeys(exported.lines);
    const selfPublished = {
      deviceKeys: { deviceId: parse(forged)[0]!.deviceId, keys: parse(forged)[0]!.keys.map((key: Line, i: number, all: Line[]) => ({ keyId: key.keyId, publicKey: key.raw, fromSeq: key.fromSeq, toSeq: all[i + 1] ? all[i + 1]!.fromSeq - 1 : null })) },
      apiKeys: exported.published.apiKeys,
    };
    // an auditor who took the export's own keys on trust would be fooled: the check against the API is the point
    expect(verifyExport(forged, selfPublished)).toMatchObject({ ok: true });
    expect(verifyExport(forged, exported.published)).toMatchObject({ ok: false, reason: expect.stringMatching(/is not published for device .* by the central API/) });
  });

  it('catches a cut tail, with the head statement kept or dropped', () => {
    const { lines, published } = exported;
    const withoutLastEvents = [...lines.slice(0, -4), ...lines.slice(-2)];
    expect(verifyExport(withoutLastEvents, published)).toMatchObject({ ok: false, reason: expect.stringMatching(/tail was cut/) });
    expect(verifyExport(lines.slice(0, -3), published)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not end with a head statement/) });
  });

  it('catches an API confirmation that does not match the chain, or that the API did not sign', () => {
    const { lines, published } = exported;
    const records = parse(lines);
    const confirmation = records.at(-2)!;
    confirmation.statement.statement.head.hash = 'f'.repeat(64);
    expect(verifyExport(records.map((record) => JSON.stringify(record)), published)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/signature does not verify with the API's key/),
    });
    expect(verifyExport(lines, { ...published, apiKeys: { keys: [] } })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/which GET \/v1\/keys does not publish/),
    });
  });
});
