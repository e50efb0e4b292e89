import { randomBytes } from 'node:crypto';
import { renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HostApiCredentials } from '../../shared/contract/host-api.ts';
import { readJsonFile } from '../sync/json-file.ts';

export const HOST_API_CREDENTIALS_FILE = 'host-api.json';

export const defaultCredentialsPath = (dataDir: string) => path.join(dataDir, HOST_API_CREDENTIALS_FILE);

/**
 * The per-install secret the host application proves itself with: 32 random bytes made on first start and kept in
 * the credentials file, which only the account it belongs to may read (0600). It never appears on a command line,
 * in an environment variable or on stdout.
 */
export function installSecret(file: string): string {
  return readJsonFile(file, HostApiCredentials)?.secret ?? randomBytes(32).toString('base64url');
}

/**
 * The file is the kiosk account's own (0600), unless it is put in a setgid directory: that is how an installer
 * shares it with the host application's account (the directory's group, both accounts in it), and then the group
 * may read it too (0640). No one else ever can.
 */
export function credentialsMode(file: string): number {
  return (statSync(path.dirname(file)).mode & 0o2000) !== 0 ? 0o640 : 0o600;
}

/**
 * Writes where the API listens now, with the secret, for the host application to read: a new file renamed over the
 * old, so a reader never sees half of one. Not fsynced: it is written again at every start, and the secret it carries
 * is only lost with the data directory (a lost write leaves the previous file, whose secret is the same).
 */
export function writeCredentials(file: string, credentials: HostApiCredentials): void {
  const next = `${file}.${process.pid}.tmp`;
  writeFileSync(next, JSON.stringify(HostApiCredentials.parse(credentials)), { mode: credentialsMode(file) });
  renameSync(next, file);
}
