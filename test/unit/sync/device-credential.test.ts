import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SecretSealer } from '../../../electron/ledger/key-vault.ts';
import { openSealedKeyVault } from '../../../electron/ledger/key-vault.ts';
import { openLedger, type Ledger } from '../../../electron/ledger/ledger.ts';
import { CREDENTIAL_FILE, readCredential } from '../../../electron/sync/enrolment.ts';
import { createSyncWorker, type SyncWorker } from '../../../electron/sync/sync-worker.ts';
import type { RunningServer } from '../../../server/start-server.ts';
import { publishedKeys, startApi, tempDir } from '../../fault/fixtures/sync-harness.ts';
import { expectServerHoldsExactlyWhatWasCaptured } from '../../fault/fixtures/sync-invariant.ts';
import { atmTerms, consentDraft } from '../../fault/fixtures/sync-kiosk.ts';
import { keychainDouble } from '../ledger/keychain-double.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

type Kiosk = { dir: string; ledger: Ledger; sealer: SecretSealer };

async function api(): Promise<RunningServer> {
  const running = await startApi(tempDir('credential-api'));
  cleanups.push(() => running.close().catch(() => undefined));
  return running;
}

/** A real ledger whose keys (and now the credential) are sealed by `sealer`, as the Electron shell's safeStorage would. */
function openKiosk(sealer: SecretSealer, dir = tempDir('credential-kiosk')): Kiosk {
  const ledger = openLedger({ dataDir: dir, vault: openSealedKeyVault(dir, sealer) });
  cleanups.push(() => ledger.close());
  return { dir, ledger, sealer };
}

function startWorker(kiosk: Kiosk, apiUrl: string, options: { enrolmentToken?: string; log?: string[] } = {}): SyncWorker {
  const worker = createSyncWorker({
    ledger: kiosk.ledger,
    apiUrl,
    dataDir: kiosk.dir,
    appVersion: '0.1.0-test',
    timeoutMs: 2_000,
    backoff: { baseMs: 20, capMs: 200 },
    probeIntervalMs: 50,
    log: (line) => options.log?.push(line),
    ...(options.enrolmentToken ? { enrolmentToken: options.enrolmentToken } : {}),
  });
  cleanups.push(() => worker.stop());
  worker.start();
  return worker;
}

function capture(kiosk: Kiosk, count: number): void {
  for (let i = 0; i < count; i++) kiosk.ledger.capture(consentDraft(`+8190${33_330_000 + i}`, 'opt_in', ['balance_alerts']), atmTerms);
}

const drained = (worker: SyncWorker) =>
  vi.waitFor(() => expect(worker.status()).toMatchObject({ state: 'idle', pending: 0 }), { timeout: 10_000, interval: 20 });

/** Every byte the kiosk keeps in its data dir (ledger, WAL, key file, credential, sync state), as one text. */
function dataDirBytes(dir: string): string {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isFile())
    .map((name) => readFileSync(join(dir, name)).toString('latin1'))
    .join('\n');
}

function credentialOf(kiosk: Kiosk): string {
  const lookup = readCredential(kiosk.dir, kiosk.ledger);
  if (lookup.state !== 'enrolled') throw new Error(`expected an enrolled kiosk, found ${lookup.state}`);
  return lookup.credential.credential;
}

describe('the device credential', () => {
  it('is never in the clear in the data dir once the kiosk has enrolled, and still authenticates after a restart', async () => {
    const server = await api();
    const kiosk = openKiosk(keychainDouble());
    capture(kiosk, 2);
    const first = startWorker(kiosk, server.url, { enrolmentToken: await server.store.devices.createToken() });
    await drained(first);
    await first.stop();

    // read as enrolment left it: reading through readCredential would already seal a clear file
    const file = JSON.parse(readFileSync(join(kiosk.dir, CREDENTIAL_FILE), 'utf8')) as { sealedCredential: string };
    expect(file).toMatchObject({ format: 2, sealer: kiosk.sealer.name, deviceId: kiosk.ledger.deviceId });
    const credential = kiosk.sealer.unseal(Buffer.from(file.sealedCredential, 'base64')).toString('utf8');
    expect((await server.store.devices.authenticate(credential))?.id).toBe(kiosk.ledger.deviceId);
    expect(dataDirBytes(kiosk.dir)).not.toContain(credential);
    expect(statSync(join(kiosk.dir, CREDENTIAL_FILE)).mode & 0o777).toBe(0o600);

    // a restart without the (spent) enrolment token unseals the credential and syncs with it
    capture(kiosk, 3);
    await drained(startWorker(kiosk, server.url));
    await expectServerHoldsExactlyWhatWasCaptured(server.store, [kiosk.dir]);
  });

  it('reads a credential an earlier version stored in the clear, seals it, and keeps syncing with it', async () => {
    const server = await api();
    const kiosk = openKiosk(keychainDouble());
    const { deviceId, keyId, publicKey } = kiosk.ledger;
    const enrolled = await server.store.devices.enrol({ token: await server.store.devices.createToken(), deviceId, keyId, publicKey, appVersion: '0.0.9' });
    if (!enrolled.ok) throw new Error(`enrolment refused: ${enrolled.reason}`);
    const { credential, enrolledAt } = enrolled.response;
    writeFileSync(join(kiosk.dir, CREDENTIAL_FILE), JSON.stringify({ deviceId, credential, enrolledAt, apiUrl: server.url }), { mode: 0o600 });

    capture(kiosk, 4);
    const log: string[] = [];
    await drained(startWorker(kiosk, server.url, { log }));

    await expectServerHoldsExactlyWhatWasCaptured(server.store, [kiosk.dir]);
    expect(dataDirBytes(kiosk.dir)).not.toContain(credential);
    expect(JSON.parse(readFileSync(join(kiosk.dir, CREDENTIAL_FILE), 'utf8'))).toMatchObject({ format: 2, sealer: kiosk.sealer.name });
    expect(credentialOf(kiosk)).toBe(credential);
    expect(log).toContainEqual(expect.stringContaining('sealed the device credential an earlier version stored in the clear'));
    // enrolled before the answer carried the API's statement keys: fetched once from GET /v1/keys and pinned
    const lookup = readCredential(kiosk.dir, kiosk.ledger);
    expect(lookup.state === 'enrolled' && lookup.credential.apiKeys).toEqual((await publishedKeys(server, deviceId)).apiKeys.keys);
    expect(log).toContainEqual(expect.stringMatching(/^pinned the API's statement keys [0-9a-f]{32} \(first use: the credential predates pinning\)$/));
    expect(kiosk.ledger.eventCounts().clock_observation).toBe(1);
  });

  it.each([
    { what: 'another kind of sealer', other: () => keychainDouble('another-keychain'), says: 'sealed by "another-keychain"' },
    { what: "another machine's keychain", other: () => keychainDouble(), says: 'cannot be unsealed on this machine' },
  ])('that was sealed by $what stops sync and asks for re-enrolment, and a new token enrols the kiosk again', async ({ other, says }) => {
    const server = await api();
    const elsewhere = openKiosk(other());
    capture(elsewhere, 1);
    await drained(startWorker(elsewhere, server.url, { enrolmentToken: await server.store.devices.createToken() }));
    const kiosk = openKiosk(keychainDouble());
    copyFileSync(join(elsewhere.dir, CREDENTIAL_FILE), join(kiosk.dir, CREDENTIAL_FILE));
    const copied = readFileSync(join(kiosk.dir, CREDENTIAL_FILE), 'utf8');

    capture(kiosk, 3);
    const log: string[] = [];
    const worker = startWorker(kiosk, server.url, { log });
    await vi.waitFor(() => expect(worker.status().state).toBe('needs_enrolment'), { timeout: 5_000, interval: 20 });
    expect(worker.status()).toMatchObject({ pending: 3, nextAttemptAt: null, lastError: expect.stringContaining(says) });
    expect(worker.status().lastError).toContain('Enrol this kiosk again');
    expect(log).toContainEqual(expect.stringContaining(says));
    // the file is left as it was: started with the shell and keychain that sealed it, it would open again
    expect(readFileSync(join(kiosk.dir, CREDENTIAL_FILE), 'utf8')).toBe(copied);

    await worker.stop();
    await drained(startWorker(kiosk, server.url, { enrolmentToken: await server.store.devices.createToken() }));
    await expectServerHoldsExactlyWhatWasCaptured(server.store, [elsewhere.dir, kiosk.dir]);
    expect((await server.store.devices.authenticate(credentialOf(kiosk)))?.id).toBe(kiosk.ledger.deviceId);
  });
});
