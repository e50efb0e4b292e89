import type { KeyObject } from 'node:crypto';
import type { ApiKeys } from '../../shared/contract/api-statement.ts';
import { publicKeyObject } from '../keys/ed25519.ts';
import type { SqlDb } from './sql.ts';

interface ApiKeyRow {
  keyId: string;
  publicKey: string;
  validFrom: string;
  validUntil: string | null;
}

const COLUMNS = 'key_id AS "keyId", public_key AS "publicKey", valid_from AS "validFrom", valid_until AS "validUntil"';

/**
 * Every statement key the API has ever signed with, and when: published at GET /v1/keys so a statement stays
 * checkable after the key is replaced. Starting with a new key closes the old one's validity.
 */
export function createApiKeyRegistry(db: SqlDb, now: () => Date) {
  const objects = new Map<string, KeyObject>();
  const one = (keyId: string) => db.get<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_id = ?`, [keyId]);

  return {
    /**
     * Makes `keyId` the key statements are signed with from now on. A retired key is refused: reopening it would
     * make it valid again for the time another key was in use.
     */
    activate: (keyId: string, publicKey: string): Promise<void> =>
      db.transaction(async (tx) => {
        await tx.lock(['api_keys']);
        const held = await tx.get<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_id = ?`, [keyId]);
        if (held?.validUntil) throw new Error(`the statement key ${keyId} was retired at ${held.validUntil} and is never used again; configure a new key`);
        const at = now().toISOString();
        await tx.run('UPDATE api_keys SET valid_until = ? WHERE valid_until IS NULL AND key_id <> ?', [at, keyId]);
        await tx.run('INSERT INTO api_keys (key_id, public_key, valid_from, valid_until) VALUES (?, ?, ?, NULL) ON CONFLICT (key_id) DO NOTHING', [keyId, publicKey, at]);
      }),

    /** Whether any statement key was ever activated: a database another instance (or an earlier start) set up. */
    any: async (): Promise<boolean> => (await db.value<number>('SELECT COUNT(*) FROM api_keys')) !== 0,

    list: (): Promise<ApiKeys['keys']> => db.all<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY valid_from, key_id`),

    /** The key `keyId` if it was valid at `atMs`, else null: a statement signed outside its key's validity is void. */
    async validAt(keyId: string, atMs: number): Promise<KeyObject | null> {
      const row = await one(keyId);
      if (!row || atMs < Date.parse(row.validFrom) || (row.validUntil !== null && atMs > Date.parse(row.validUntil))) return null;
      let key = objects.get(keyId);
      if (!key) objects.set(keyId, (key = publicKeyObject(row.publicKey)));
      return key;
    },
  };
}

export type ApiKeyRegistry = ReturnType<typeof createApiKeyRegistry>;
