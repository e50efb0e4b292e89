import type { KeyVault, SecretSealer } from './key-vault.ts';
import { openSealedKeyVault } from './key-vault.ts';

/** Stores secrets as they are: protection comes only from the file mode (0600) and the disk. */
export const plaintextSealer: SecretSealer = {
  name: 'plaintext-development',
  seal: (plain) => Buffer.from(plain),
  unseal: (sealed) => Buffer.from(sealed),
};

let warned = false;

/**
 * The vault for development and for the Chromium shell, where no OS keychain is reachable from Node. Says so once
 * per process, because a production kiosk should not run with it.
 */
export function openFileKeyVault(dataDir: string, options: { warn?: (message: string) => void } = {}): KeyVault {
  const vault = openSealedKeyVault(dataDir, plaintextSealer);
  if (!warned) {
    warned = true;
    (options.warn ?? console.warn)(
      `Key vault: the device keys in ${dataDir} are protected only by file permissions (0600). ` +
        'This vault is for development and the Chromium shell; the Electron shell seals them with the OS keychain.',
    );
  }
  return vault;
}
