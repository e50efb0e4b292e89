import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { keyIdOf } from './event-signing.ts';

/** The device's secrets as the ledger uses them: an Ed25519 signing key and the data key for personal data. */
export interface KeyVault {
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  readonly keyId: string;
  sign(bytes: Uint8Array): Buffer;
  /** The AES-256 key that encrypts subject openings at rest. */
  dataKey(): Buffer;
  /** The name of the sealer that protects the keys; stored next to anything else it seals. */
  readonly sealerName: string;
  /** Seals a small secret (e.g. the sync credential) with the same protection as the keys; base64 out. */
  sealSecret(plain: string): string;
  /** The inverse of `sealSecret`; a secret that does not unseal here is a `storage_unavailable` failure. */
  unsealSecret(sealed: string): string;
}

/** What a component holding a secret of its own needs from the vault, without access to the keys. */
export type SecretSealing = Pick<KeyVault, 'sealerName' | 'sealSecret' | 'unsealSecret'>;

/**
 * What actually protects secrets at rest. Electron's safeStorage (OS keychain) implements this in electron/shell/;
 * the development file vault implements it with no protection at all.
 */
export interface SecretSealer {
  /** Recorded in the key file, so tools know whether they can unseal it. */
  readonly name: string;
  seal(plain: Buffer): Buffer;
  unseal(sealed: Buffer): Buffer;
}

export const KEY_FILE = 'keys.json';

const KeyFile = z
  .object({
    format: z.literal(1),
    sealer: z.string().min(1),
    publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    sealedPrivateKey: z.string().min(1),
    sealedDataKey: z.string().min(1),
  })
  .strict();
type KeyFile = z.infer<typeof KeyFile>;

/**
 * Loads the device key file from `dataDir`, creating the key pair and data key on first run. The private key and
 * the data key are stored only sealed; the public key is stored in the clear so tools can verify without unsealing.
 */
export function openSealedKeyVault(dataDir: string, sealer: SecretSealer): KeyVault {
  const file = path.join(dataDir, KEY_FILE);
  const stored = fs.existsSync(file) ? readKeyFile(file) : createKeyFile(file, sealer);
  if (stored.sealer !== sealer.name) {
    throw new KioskFailure(
      'storage_unavailable',
      `The device keys were sealed by "${stored.sealer}" and cannot be opened with "${sealer.name}".`,
    );
  }
  const privateKey = unsealOrFail(() =>
    crypto.createPrivateKey({ key: sealer.unseal(Buffer.from(stored.sealedPrivateKey, 'base64')), format: 'der', type: 'pkcs8' }),
  );
  const dataKey = unsealOrFail(() => sealer.unseal(Buffer.from(stored.sealedDataKey, 'base64')));
  const publicKey = Buffer.from(stored.publicKey, 'base64url');
  const derived = crypto.createPublicKey(privateKey).export({ format: 'jwk' }).x;
  if (derived !== stored.publicKey || dataKey.length !== 32) {
    throw new KioskFailure('storage_unavailable', 'The device key file is inconsistent; the keys cannot be used.');
  }
  const keyId = keyIdOf(publicKey);
  return {
    publicKey,
    keyId,
    sign: (bytes) => crypto.sign(null, bytes, privateKey),
    dataKey: () => dataKey,
    sealerName: sealer.name,
    sealSecret: (plain) => sealer.seal(Buffer.from(plain, 'utf8')).toString('base64'),
    unsealSecret: (sealed) =>
      unsealOrFail(() => sealer.unseal(Buffer.from(sealed, 'base64')).toString('utf8'), 'A sealed secret cannot be unsealed on this machine.'),
  };
}

/** The public half only, without unsealing anything (for `kioskctl verify` and export). */
export function readVaultPublicKey(dataDir: string): { publicKey: Buffer; sealer: string } | null {
  const file = path.join(dataDir, KEY_FILE);
  if (!fs.existsSync(file)) return null;
  const stored = readKeyFile(file);
  return { publicKey: Buffer.from(stored.publicKey, 'base64url'), sealer: stored.sealer };
}

function readKeyFile(file: string): KeyFile {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new KioskFailure('storage_unavailable', `The device key file ${file} cannot be read.`);
  }
  const parsed = KeyFile.safeParse(json);
  if (!parsed.success) throw new KioskFailure('storage_unavailable', `The device key file ${file} is damaged.`);
  return parsed.data;
}

function createKeyFile(file: string, sealer: SecretSealer): KeyFile {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'jwk' }).x;
  if (!raw) throw new KioskFailure('internal', 'The Ed25519 key pair could not be created.');
  const stored: KeyFile = {
    format: 1,
    sealer: sealer.name,
    publicKey: raw,
    sealedPrivateKey: sealer.seal(privateKey.export({ format: 'der', type: 'pkcs8' })).toString('base64'),
    sealedDataKey: sealer.seal(crypto.randomBytes(32)).toString('base64'),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeDurably(file, `${JSON.stringify(stored, null, 2)}\n`);
  return stored;
}

/** Write, fsync, rename, fsync the directory: a crash leaves either no key file or a whole one. */
function writeDurably(file: string, contents: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'wx', 0o600);
  try {
    fs.writeSync(fd, contents);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

function unsealOrFail<T>(unseal: () => T, message = 'The device keys cannot be unsealed on this machine.'): T {
  try {
    return unseal();
  } catch {
    throw new KioskFailure('storage_unavailable', message);
  }
}
