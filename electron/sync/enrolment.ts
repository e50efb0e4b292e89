import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EnrolmentResponse } from '../../shared/contract/sync.ts';
import type { ApiClient } from './api-client.ts';
import { readJsonFile, writeJsonAtomic } from './json-file.ts';

/**
 * The device credential the central API issued at enrolment, kept in a small 0600 file in the data dir. In the
 * Electron shell this file would be sealed with the vault (safeStorage); under plain Node it is protected by file
 * permissions only.
 */
export const CREDENTIAL_FILE = 'device-credential.json';

const StoredCredential = EnrolmentResponse.extend({ apiUrl: z.string() });
export type StoredCredential = z.infer<typeof StoredCredential>;

export type DeviceIdentity = { deviceId: string; keyId: string; publicKey: string };

export function readCredential(dataDir: string): StoredCredential | null {
  return readJsonFile(join(dataDir, CREDENTIAL_FILE), StoredCredential);
}

export function forgetCredential(dataDir: string): void {
  rmSync(join(dataDir, CREDENTIAL_FILE), { force: true });
}

/** Registers the device's public key with the API using a one-time enrolment token, and stores the credential. */
export async function enrolDevice(options: {
  client: ApiClient;
  apiUrl: string;
  dataDir: string;
  token: string;
  device: DeviceIdentity;
  appVersion: string;
  signal?: AbortSignal;
}): Promise<StoredCredential> {
  const { client, device } = options;
  const response = await client.enrol(
    { token: options.token, deviceId: device.deviceId, keyId: device.keyId, publicKey: device.publicKey, appVersion: options.appVersion },
    options.signal,
  );
  const stored: StoredCredential = { ...response, apiUrl: options.apiUrl };
  writeJsonAtomic(join(options.dataDir, CREDENTIAL_FILE), stored);
  return stored;
}
