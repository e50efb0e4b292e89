import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretSealer } from '../../../electron/ledger/key-vault.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A test double of the OS keychain: Electron's safeStorage (DPAPI, Keychain, libsecret) cannot run here. Like the
 * keychain it seals with a key that never reaches the disk — AES-256-GCM under a key only this double holds — so
 * another double, even one with the same name, cannot unseal what this one sealed.
 */
export function keychainDouble(name = 'test-keychain'): SecretSealer {
  const key = randomBytes(32);
  return {
    name,
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    unseal(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    },
  };
}
