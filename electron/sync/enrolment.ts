import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { EnrolmentResponse } from '../../shared/contract/sync.ts';
import type { SecretSealing } from '../ledger/key-vault.ts';
import type { ApiClient } from './api-client.ts';
import { writeJsonAtomic } from './json-file.ts';

/**
 * The device credential the central API issued at enrolment: a bearer token, kept in a small 0600 file in the data
 * dir and sealed by the key vault's sealer, like the device keys. Under Electron that is safeStorage (the OS
 * keychain), so a copy of the data dir alone does not let anyone post events as this kiosk; under the Chromium shell
 * and in development the plaintext sealer protects it by file permissions only.
 */
export const CREDENTIAL_FILE = 'device-credential.json';

const StoredCredential = EnrolmentResponse.extend({ apiUrl: z.string() });
export type StoredCredential = z.infer<typeof StoredCredential>;

const SealedCredentialFile = StoredCredential.omit({ credential: true })
  .extend({ format: z.literal(2), sealer: z.string().min(1), sealedCredential: z.string().min(1) })
  .strict();
type SealedCredentialFile = z.infer<typeof SealedCredentialFile>;

/** What versions before format 2 wrote: the credential in the clear. Still read, and rewritten sealed. */
const ClearCredentialFile = StoredCredential.strict();

const CredentialFile = z.union([SealedCredentialFile, ClearCredentialFile]);

/**
 * What the data dir holds: a credential ready to use, none (never enrolled), or one this kiosk cannot use — sealed
 * by another sealer, not unsealable with this machine's keychain, or damaged — which only a new enrolment fixes.
 */
export type CredentialLookup =
  | { state: 'enrolled'; credential: StoredCredential }
  | { state: 'absent' }
  | { state: 'unusable'; reason: string };

export type DeviceIdentity = { deviceId: string; keyId: string; publicKey: string };

export function readCredential(dataDir: string, sealing: SecretSealing, log: (line: string) => void = () => {}): CredentialLookup {
  const file = join(dataDir, CREDENTIAL_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    return unusable(`The device credential file cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  const parsed = CredentialFile.safeParse(parseJson(text));
  if (!parsed.success) return unusable('The device credential file is damaged.');
  const stored = parsed.data;
  if (!('format' in stored)) {
    upgradeClearFile(file, stored, sealing, log);
    return { state: 'enrolled', credential: stored };
  }
  if (stored.sealer !== sealing.sealerName) {
    return unusable(`The device credential was sealed by "${stored.sealer}" and cannot be opened with "${sealing.sealerName}".`);
  }
  let credential: string;
  try {
    credential = sealing.unsealSecret(stored.sealedCredential);
  } catch (error) {
    if (!(error instanceof KioskFailure)) throw error;
    return unusable('The device credential cannot be unsealed on this machine.');
  }
  const opened = StoredCredential.safeParse({ deviceId: stored.deviceId, credential, enrolledAt: stored.enrolledAt, apiUrl: stored.apiUrl });
  return opened.success ? { state: 'enrolled', credential: opened.data } : unusable('The device credential unsealed to something unexpected.');
}

/** Where a credential the API refused (401) is kept, for the record: never used again. */
export const REFUSED_CREDENTIAL_FILE = 'device-credential.refused.json';

/**
 * The API no longer accepts the stored credential. It is set aside, so the next start with a new enrolment token
 * enrols the kiosk again instead of presenting the refused credential once more.
 */
export function setAsideRefusedCredential(dataDir: string): void {
  try {
    renameSync(join(dataDir, CREDENTIAL_FILE), join(dataDir, REFUSED_CREDENTIAL_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Registers the device's public key with the API using a one-time enrolment token, and stores the credential sealed. */
export async function enrolDevice(options: {
  client: ApiClient;
  apiUrl: string;
  dataDir: string;
  token: string;
  device: DeviceIdentity;
  sealing: SecretSealing;
  appVersion: string;
  signal?: AbortSignal;
}): Promise<StoredCredential> {
  const { client, device } = options;
  const response = await client.enrol(
    { token: options.token, deviceId: device.deviceId, keyId: device.keyId, publicKey: device.publicKey, appVersion: options.appVersion },
    options.signal,
  );
  const stored: StoredCredential = { ...response, apiUrl: options.apiUrl };
  writeJsonAtomic(join(options.dataDir, CREDENTIAL_FILE), sealedFile(stored, options.sealing));
  return stored;
}

function sealedFile(stored: StoredCredential, sealing: SecretSealing): SealedCredentialFile {
  return {
    format: 2,
    deviceId: stored.deviceId,
    enrolledAt: stored.enrolledAt,
    apiUrl: stored.apiUrl,
    sealer: sealing.sealerName,
    sealedCredential: sealing.sealSecret(stored.credential),
  };
}

/** A failed rewrite leaves the clear file in place and the kiosk syncing; the next start tries again. */
function upgradeClearFile(file: string, stored: StoredCredential, sealing: SecretSealing, log: (line: string) => void): void {
  try {
    writeJsonAtomic(file, sealedFile(stored, sealing));
    log(`sealed the device credential an earlier version stored in the clear (sealer "${sealing.sealerName}")`);
  } catch (error) {
    log(`could not rewrite the device credential sealed; it stays in the clear for now: ${(error as Error).message}`);
  }
}

function unusable(problem: string): CredentialLookup {
  return { state: 'unusable', reason: `${problem} Enrol this kiosk again with a new enrolment token.` };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
