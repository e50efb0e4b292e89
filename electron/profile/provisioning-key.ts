import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { keyFingerprint } from '../cli/release-manifest.ts';

/** The first line of both halves of a development key: a terminal that pins it says so on its diagnostics screen. */
export const DEVELOPMENT_MARK = '# DEVELOPMENT provisioning key of the consent kiosk';

/** The organisation's public key as a terminal pins it at install (SPKI PEM), and whether it is a development one. */
export type PinnedProfileKey = { publicKey: KeyObject; fingerprint: string; development: boolean; source: string };
export type ProfileSigningKey = { privateKey: KeyObject; fingerprint: string; development: boolean };

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : 'it cannot be read';
    throw new KioskFailure('not_found', `The ${what} ${file} cannot be loaded: ${reason}.`);
  }
}

export function readPinnedKey(file: string): PinnedProfileKey {
  const text = readText(file, 'provisioning public key');
  let publicKey: KeyObject;
  try {
    publicKey = crypto.createPublicKey(text);
  } catch {
    throw new KioskFailure('invalid_request', `The provisioning public key ${file} is not a public key in PEM.`);
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new KioskFailure('invalid_request', `The provisioning public key ${file} is an ${String(publicKey.asymmetricKeyType)} key, not Ed25519.`);
  }
  return { publicKey, fingerprint: keyFingerprint(publicKey), development: text.startsWith(DEVELOPMENT_MARK), source: file };
}

/**
 * The provisioning desk's private key, from a file only its owner may read (like an SSH key). The development key
 * is the exception: it is published in the source tree on purpose, marked as such, and trusted by no real terminal.
 */
export function readSigningKey(file: string): ProfileSigningKey {
  const text = readText(file, 'provisioning key');
  const development = text.startsWith(DEVELOPMENT_MARK);
  if (!development && (fs.statSync(file).mode & 0o077) !== 0) {
    throw new KioskFailure('forbidden', `The provisioning key ${file} is readable by other users; make it mode 0600.`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = crypto.createPrivateKey(text);
  } catch {
    throw new KioskFailure('invalid_request', `The provisioning key ${file} does not hold a private key in PEM (PKCS#8).`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KioskFailure('invalid_request', `The provisioning key ${file} is an ${String(privateKey.asymmetricKeyType)} key, not Ed25519.`);
  }
  return { privateKey, fingerprint: keyFingerprint(crypto.createPublicKey(privateKey)), development };
}

/**
 * A new provisioning key pair: the private half written 0600 and never over an existing file, the public half (what
 * terminals pin) beside it. Returns the fingerprint, the only part worth printing.
 */
export function generateProvisioningKey(privateFile: string, publicFile: string): string {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  for (const file of [privateFile, publicFile]) {
    if (fs.existsSync(file)) throw new KioskFailure('invalid_request', `${file} already exists; a key is never overwritten.`);
  }
  fs.writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  return keyFingerprint(publicKey);
}
