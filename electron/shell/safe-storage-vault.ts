import { safeStorage } from 'electron';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { openSealedKeyVault, type KeyVault, type SecretSealer } from '../ledger/key-vault.ts';

/** Seals the device keys with the OS keychain (DPAPI, Keychain, libsecret/kwallet) through Electron's safeStorage. */
export const safeStorageSealer: SecretSealer = {
  name: 'electron-safe-storage',
  seal: (plain) => safeStorage.encryptString(plain.toString('base64')),
  unseal: (sealed) => Buffer.from(safeStorage.decryptString(sealed), 'base64'),
};

/**
 * Refuses to start rather than store keys in the clear: on Linux without a keyring, safeStorage falls back to a
 * hard-coded password ('basic_text'), which protects nothing.
 */
export function openSafeStorageVault(dataDir: string): KeyVault {
  if (!safeStorage.isEncryptionAvailable()) {
    throw new KioskFailure('storage_unavailable', 'The OS keychain is not available, so the device keys cannot be sealed.');
  }
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    throw new KioskFailure('storage_unavailable', 'No keyring (gnome-libsecret or kwallet) is running; the device keys would not be protected.');
  }
  return openSealedKeyVault(dataDir, safeStorageSealer);
}
