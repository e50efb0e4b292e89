import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { KioskFailure } from '../../shared/contract/errors.ts';
import type { Placement } from '../../shared/contract/primitives.ts';
import { EnrolmentResponse } from '../../shared/contract/sync.ts';
import type { DeviceKey } from '../ledger/device-identity.ts';
import type { SecretSealing } from '../ledger/key-vault.ts';
import { ApiFailure, type ApiClient } from './api-client.ts';
import { writeJsonAtomic } from './json-file.ts';

/**
 * The device credential the central API issued at enrolment: a bearer token, kept in a small 0600 file in the data
 * dir and sealed by the key vault's sealer, like the device keys. Under Electron that is safeStorage (the OS
 * keychain), so a copy of the data dir alone does not let anyone post events as this kiosk; under the Chromium shell
 * and in development the plaintext sealer protects it by file permissions only.
 */
export const CREDENTIAL_FILE = 'device-credential.json';

/**
 * `apiKeys`: the API's statement keys as pinned at enrolment. A credential from before the enrolment answer carried
 * them has none; the sync worker then fetches GET /v1/keys once and pins those (trust on first use, docs/sync.md).
 */
const StoredCredential = EnrolmentResponse.extend({ apiUrl: z.string(), apiKeys: EnrolmentResponse.shape.apiKeys.optional() });
export type StoredCredential = z.infer<typeof StoredCredential>;
export type PinnedApiKeys = NonNullable<StoredCredential['apiKeys']>;

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

/** What enrolment registers: the device and the key its chain starts with (later keys come by key rotation events). */
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
  const { format: _format, sealer: _sealer, sealedCredential: _sealed, ...rest } = stored;
  const opened = StoredCredential.safeParse({ ...rest, credential });
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
  placement?: Placement;
  signal?: AbortSignal;
}): Promise<StoredCredential> {
  const { client, device } = options;
  const response = await client.enrol(
    {
      token: options.token,
      deviceId: device.deviceId,
      keyId: device.keyId,
      publicKey: device.publicKey,
      appVersion: options.appVersion,
      ...(options.placement ? { placement: options.placement } : {}),
    },
    options.signal,
  );
  const stored: StoredCredential = { ...response, apiUrl: options.apiUrl };
  writeJsonAtomic(join(options.dataDir, CREDENTIAL_FILE), sealedFile(stored, options.sealing));
  return stored;
}

/** Pins the API's statement keys into a credential enrolled before enrolment carried them. */
export function pinApiKeys(dataDir: string, stored: StoredCredential, apiKeys: PinnedApiKeys, sealing: SecretSealing): StoredCredential {
  const pinned = { ...stored, apiKeys };
  writeJsonAtomic(join(dataDir, CREDENTIAL_FILE), sealedFile(pinned, sealing));
  return pinned;
}

function sealedFile(stored: StoredCredential, sealing: SecretSealing): SealedCredentialFile {
  const { credential, ...rest } = stored;
  return { format: 2, ...rest, sealer: sealing.sealerName, sealedCredential: sealing.sealSecret(credential) };
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

export type CredentialSourceOptions = {
  client: ApiClient;
  apiUrl: string;
  dataDir: string;
  ledger: SecretSealing & { readonly deviceId: string; keys(): DeviceKey[]; lastSyncedSeq(): number };
  appVersion: string;
  /** A one-time enrolment token, used when no credential is stored yet (or the stored one cannot be opened). */
  enrolmentToken?: string;
  placement: () => Placement | undefined;
  log: (line: string) => void;
};

/**
 * Where the worker's device credential comes from: the sealed file, else an enrolment with the configured token
 * (a technician who brings a new token expects a restart to enrol the kiosk again). Enrolment registers the key of
 * the first event the API has not acknowledged: the key the chain starts with on a first enrolment (even if the
 * device rotated before it ever synced: the API learns later keys from the chain's key rotation events), the key in
 * use on a re-enrolment of a device whose rotations the API already holds.
 */
export function createCredentialSource(options: CredentialSourceOptions) {
  const { client, dataDir, ledger, log } = options;

  async function enrol(token: string): Promise<StoredCredential> {
    const nextSeq = ledger.lastSyncedSeq() + 1;
    const first = ledger.keys().filter((key) => key.fromSeq <= nextSeq).at(-1);
    if (!first) throw new KioskFailure('ledger_corrupt', 'The ledger records no device key to enrol.');
    const placement = options.placement();
    const enrolled = await enrolDevice({
      client,
      apiUrl: options.apiUrl,
      dataDir,
      token,
      device: { deviceId: ledger.deviceId, keyId: first.keyId, publicKey: first.publicKey.toString('base64url') },
      sealing: ledger,
      appVersion: options.appVersion,
      ...(placement ? { placement } : {}),
    }).catch((error: unknown) => {
      // a refused token does not get better by retrying it: a technician must bring a new one
      if (error instanceof ApiFailure && error.kind === 'refused') throw new ApiFailure('unauthorized', error.message, error.status);
      throw error;
    });
    log(`enrolled device ${enrolled.deviceId}`);
    return enrolled;
  }

  /** GET /v1/keys; null when the API gave no usable answer (logged): no statement can be checked meanwhile. */
  async function fetchKeys(signal?: AbortSignal): Promise<PinnedApiKeys | null> {
    try {
      return (await client.apiKeys(signal)).keys;
    } catch (error) {
      if (!(error instanceof ApiFailure) || (error.kind !== 'refused' && error.kind !== 'invalid_response')) throw error;
      log(`the API's statement keys could not be fetched: ${error.message}`);
      return null;
    }
  }

  return {
    enrol,
    async lookup(): Promise<CredentialLookup> {
      const lookup = readCredential(dataDir, ledger, log);
      if (lookup.state === 'enrolled' || !options.enrolmentToken) return lookup;
      if (lookup.state === 'unusable') log(`${lookup.reason} Trying the configured enrolment token.`);
      return { state: 'enrolled', credential: await enrol(options.enrolmentToken) };
    },
    /**
     * The API's statement keys the credential pinned. A credential enrolled before enrolment carried them fetches
     * GET /v1/keys once and pins what it gets: trust on first use, over the same connection the credential uses.
     */
    async pinnedKeys(stored: StoredCredential, signal?: AbortSignal): Promise<PinnedApiKeys> {
      if (stored.apiKeys) return stored.apiKeys;
      const keys = await fetchKeys(signal);
      if (keys === null) return [];
      pinApiKeys(dataDir, stored, keys, ledger);
      log(`pinned the API's statement keys ${keys.map((key) => key.keyId).join(', ')} (first use: the credential predates pinning)`);
      return keys;
    },
    /**
     * A statement named a key the kiosk has not pinned: the API may have replaced its statement key. GET /v1/keys is
     * asked again (the caller bounds how often) and every key it publishes is pinned beside those already pinned,
     * each with the validity the API now gives it (a replaced key's ends). Trusted as the first pinning was.
     */
    async refreshPins(stored: StoredCredential, signal?: AbortSignal): Promise<PinnedApiKeys> {
      const keys = await fetchKeys(signal);
      const held = stored.apiKeys ?? [];
      if (keys === null) return held;
      const merged = [...new Map([...held, ...keys].map((key) => [key.keyId, key])).values()];
      const added = merged.filter((key) => !held.some((known) => known.keyId === key.keyId));
      if (added.length === 0 && JSON.stringify(merged) === JSON.stringify(held)) return held;
      pinApiKeys(dataDir, stored, merged, ledger);
      log(`pinned the API's statement keys again: ${added.length > 0 ? `added ${added.map((key) => key.keyId).join(', ')}` : 'validity updated'}`);
      return merged;
    },
  };
}
