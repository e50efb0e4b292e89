import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { RawPublicKey } from '../../shared/contract/primitives.ts';
import { keyIdOf } from './event-signing.ts';

/**
 * The device's secrets as the ledger uses them: the Ed25519 signing key, the next one (already made and sealed, so
 * a rotation can name it before switching to it) and the data key for personal data.
 */
export interface KeyVault {
  /** Raw 32-byte Ed25519 public key of the current signing key. */
  readonly publicKey: Buffer;
  readonly keyId: string;
  sign(bytes: Uint8Array): Buffer;
  /** The key the next rotation switches to (raw public key and its id); its private half never leaves the vault. */
  readonly next: { readonly publicKey: Buffer; readonly keyId: string };
  /**
   * Makes the next key the current one, forgets the old private key and makes a new next key; on disk before it
   * returns. The ledger calls it only after the rotation event naming that key is committed.
   */
  promoteNext(): void;
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

const SealedKeyPair = z
  .object({ publicKey: RawPublicKey, sealedPrivateKey: z.string().min(1) })
  .strict();
type SealedKeyPair = z.infer<typeof SealedKeyPair>;

/** What versions before key rotation wrote: one key pair. Still read, and rewritten as format 2 with a next key. */
const KeyFileV1 = z
  .object({ format: z.literal(1), sealer: z.string().min(1), sealedDataKey: z.string().min(1), ...SealedKeyPair.shape })
  .strict();

const KeyFileV2 = z
  .object({
    format: z.literal(2),
    sealer: z.string().min(1),
    sealedDataKey: z.string().min(1),
    current: SealedKeyPair,
    next: SealedKeyPair,
  })
  .strict();
type KeyFile = z.infer<typeof KeyFileV2>;

const KeyFile = z.discriminatedUnion('format', [KeyFileV1, KeyFileV2]);

type OpenKey = { publicKey: Buffer; keyId: string; privateKey: crypto.KeyObject };

/**
 * Loads the device key file from `dataDir`, creating the key pairs and data key on first run. Private keys and the
 * data key are stored only sealed; public keys in the clear, so tools can verify without unsealing.
 */
export function openSealedKeyVault(dataDir: string, sealer: SecretSealer): KeyVault {
  const file = path.join(dataDir, KEY_FILE);
  const found = fs.existsSync(file) ? readKeyFile(file) : createKeyFile(file, sealer);
  if (found.sealer !== sealer.name) {
    throw new KioskFailure(
      'storage_unavailable',
      `The device keys were sealed by "${found.sealer}" and cannot be opened with "${sealer.name}".`,
    );
  }
  let stored = found.format === 2 ? found : upgradeKeyFile(file, found, sealer);
  const dataKey = unsealOrFail(() => sealer.unseal(Buffer.from(stored.sealedDataKey, 'base64')));
  if (dataKey.length !== 32) throw inconsistent();
  let current = openKey(stored.current, sealer);
  let next = openKey(stored.next, sealer);
  return {
    get publicKey() {
      return current.publicKey;
    },
    get keyId() {
      return current.keyId;
    },
    sign: (bytes) => crypto.sign(null, bytes, current.privateKey),
    get next() {
      return { publicKey: next.publicKey, keyId: next.keyId };
    },
    promoteNext: () => {
      const promoted: KeyFile = { ...stored, current: stored.next, next: newSealedKeyPair(sealer) };
      writeDurably(file, keyFileText(promoted));
      stored = promoted;
      current = next;
      next = openKey(promoted.next, sealer);
    },
    dataKey: () => dataKey,
    sealerName: sealer.name,
    sealSecret: (plain) => sealer.seal(Buffer.from(plain, 'utf8')).toString('base64'),
    unsealSecret: (sealed) =>
      unsealOrFail(() => sealer.unseal(Buffer.from(sealed, 'base64')).toString('utf8'), 'A sealed secret cannot be unsealed on this machine.'),
  };
}

/** The current public key only, without unsealing anything (for `kioskctl verify` and export). */
export function readVaultPublicKey(dataDir: string): { publicKey: Buffer; sealer: string } | null {
  const file = path.join(dataDir, KEY_FILE);
  if (!fs.existsSync(file)) return null;
  const stored = readKeyFile(file);
  const current = stored.format === 2 ? stored.current.publicKey : stored.publicKey;
  return { publicKey: Buffer.from(current, 'base64url'), sealer: stored.sealer };
}

/** What a tool may use of the vault: the data key and the current key, unsealed without writing anything. */
export type InspectionKeys = Pick<KeyVault, 'publicKey' | 'keyId' | 'sign' | 'dataKey'>;

export function openVaultForInspection(dataDir: string, sealer: SecretSealer): InspectionKeys {
  const stored = readKeyFile(path.join(dataDir, KEY_FILE));
  if (stored.sealer !== sealer.name) throw new KioskFailure('storage_unavailable', `The device keys were sealed by "${stored.sealer}".`);
  const current = openKey(stored.format === 2 ? stored.current : stored, sealer);
  const dataKey = unsealOrFail(() => sealer.unseal(Buffer.from(stored.sealedDataKey, 'base64')));
  return { publicKey: current.publicKey, keyId: current.keyId, sign: (bytes) => crypto.sign(null, bytes, current.privateKey), dataKey: () => dataKey };
}

function openKey(pair: Pick<SealedKeyPair, 'publicKey' | 'sealedPrivateKey'>, sealer: SecretSealer): OpenKey {
  const privateKey = unsealOrFail(() =>
    crypto.createPrivateKey({ key: sealer.unseal(Buffer.from(pair.sealedPrivateKey, 'base64')), format: 'der', type: 'pkcs8' }),
  );
  if (crypto.createPublicKey(privateKey).export({ format: 'jwk' }).x !== pair.publicKey) throw inconsistent();
  const publicKey = Buffer.from(pair.publicKey, 'base64url');
  return { publicKey, keyId: keyIdOf(publicKey), privateKey };
}

const inconsistent = () => new KioskFailure('storage_unavailable', 'The device key file is inconsistent; the keys cannot be used.');

function readKeyFile(file: string): z.infer<typeof KeyFile> {
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

/** A file of format 1 gains a next key, sealed by the same sealer, and is rewritten as format 2. */
function upgradeKeyFile(file: string, old: z.infer<typeof KeyFileV1>, sealer: SecretSealer): KeyFile {
  const upgraded: KeyFile = {
    format: 2,
    sealer: old.sealer,
    sealedDataKey: old.sealedDataKey,
    current: { publicKey: old.publicKey, sealedPrivateKey: old.sealedPrivateKey },
    next: newSealedKeyPair(sealer),
  };
  writeDurably(file, keyFileText(upgraded));
  return upgraded;
}

function createKeyFile(file: string, sealer: SecretSealer): KeyFile {
  const stored: KeyFile = {
    format: 2,
    sealer: sealer.name,
    sealedDataKey: sealer.seal(crypto.randomBytes(32)).toString('base64'),
    current: newSealedKeyPair(sealer),
    next: newSealedKeyPair(sealer),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeDurably(file, keyFileText(stored));
  return stored;
}

function newSealedKeyPair(sealer: SecretSealer): SealedKeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'jwk' }).x;
  if (!raw) throw new KioskFailure('internal', 'The Ed25519 key pair could not be created.');
  return { publicKey: raw, sealedPrivateKey: sealer.seal(privateKey.export({ format: 'der', type: 'pkcs8' })).toString('base64') };
}

const keyFileText = (stored: KeyFile) => `${JSON.stringify(stored, null, 2)}\n`;

/** Write, fsync, rename, fsync the directory: a crash leaves either no key file or a whole one. */
function writeDurably(file: string, contents: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', 0o600);
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
