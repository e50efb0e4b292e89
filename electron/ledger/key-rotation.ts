import type Database from 'better-sqlite3';
import { KeyRotationBody } from '../../shared/contract/chain-event.ts';
import { KioskFailure, parseOrFail } from '../../shared/contract/errors.ts';
import type { ChainAppend } from './chain-append.ts';
import type { KeyVault } from './key-vault.ts';
import { withStorageErrors } from './storage-errors.ts';

export const RotationReason = KeyRotationBody.shape.reason;
export type RotationReason = KeyRotationBody['reason'];

export type RotatedKey = { seq: number; previousKeyId: string; keyId: string };

/**
 * Rotates the device key: a key_rotation event signed by the current key names the vault's next key, and the
 * device's key list gains it from the following seq, in one transaction; only then does the vault switch to it.
 * Stopped in between, the next start finishes the switch (ensureDevice), so the chain never names a key the vault
 * has lost, and no event is ever signed by a key the chain has not named.
 */
export function prepareKeyRotation(db: Database.Database, chain: ChainAppend, vault: KeyVault) {
  const insertKey = db.prepare('INSERT INTO device_keys (from_seq, key_id, public_key, added_at) VALUES (?, ?, ?, ?)');
  const append = db.transaction((reason: RotationReason) => {
    const stamp = chain.stamp();
    const next = { keyId: vault.next.keyId, publicKey: vault.next.publicKey.toString('base64url') };
    const body: KeyRotationBody = { ...chain.nextLink(chain.head(), stamp), type: 'key_rotation', next, reason };
    const hash = chain.write(body, null);
    insertKey.run(body.seq + 1, next.keyId, next.publicKey, stamp.capturedAt);
    chain.setHead({ seq: body.seq, hash });
    return body.seq;
  });

  return (raw: unknown): RotatedKey => {
    const reason = parseOrFail(RotationReason, raw, 'rotation reason');
    const previousKeyId = vault.keyId;
    const seq = withStorageErrors(() => append.immediate(reason));
    try {
      vault.promoteNext();
    } catch {
      throw new KioskFailure(
        'storage_unavailable',
        'The key rotation is recorded, but the key vault could not switch to the new key; restart the kiosk to finish it.',
      );
    }
    return { seq, previousKeyId, keyId: vault.keyId };
  };
}
