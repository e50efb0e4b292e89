import { describe, expect, it } from 'vitest';
import { KioskFailure } from '../../../shared/contract/errors.ts';
import { openSealedKeyVault } from '../../../electron/ledger/key-vault.ts';
import { tempDataDir } from './fixtures.ts';
import { keychainDouble } from './keychain-double.ts';

describe('the key vault', () => {
  it('seals a small secret so that only its own sealer opens it again', () => {
    const sealer = keychainDouble();
    const vault = openSealedKeyVault(tempDataDir(), sealer);
    const sealed = vault.sealSecret('device-credential-in-the-clear');

    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('device-credential-in-the-clear');
    expect(vault.unsealSecret(sealed)).toBe('device-credential-in-the-clear');
    expect(vault.sealerName).toBe(sealer.name);

    const elsewhere = openSealedKeyVault(tempDataDir(), keychainDouble(sealer.name));
    expect(() => elsewhere.unsealSecret(sealed)).toThrow(KioskFailure);
    expect(() => elsewhere.unsealSecret(sealed)).toThrow(expect.objectContaining({ code: 'storage_unavailable' }));
  });
});
