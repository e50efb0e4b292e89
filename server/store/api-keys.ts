import type Database from 'better-sqlite3';
import type { KeyObject } from 'node:crypto';
import type { ApiKeys } from '../../shared/contract/api-statement.ts';
import { publicKeyObject } from '../keys/ed25519.ts';

interface ApiKeyRow {
  keyId: string;
  publicKey: string;
  validFrom: string;
  validUntil: string | null;
}

/**
 * Every statement key the API has ever signed with, and when: published at GET /v1/keys so a statement stays
 * checkable after the key is replaced. Starting with a new key closes the old one's validity.
 */
export function createApiKeyRegistry(db: Database.Database, now: () => Date) {
  const select = db.prepare('SELECT key_id AS keyId, public_key AS publicKey, valid_from AS validFrom, valid_until AS validUntil FROM api_keys ORDER BY valid_from, key_id');
  const selectOne = db.prepare('SELECT key_id AS keyId, public_key AS publicKey, valid_from AS validFrom, valid_until AS validUntil FROM api_keys WHERE key_id = ?');
  const closeOpen = db.prepare('UPDATE api_keys SET valid_until = ? WHERE valid_until IS NULL AND key_id <> ?');
  const insert = db.prepare('INSERT OR IGNORE INTO api_keys (key_id, public_key, valid_from, valid_until) VALUES (?, ?, ?, NULL)');
  const objects = new Map<string, KeyObject>();

  return {
    /**
     * Makes `keyId` the key statements are signed with from now on. A retired key is refused: reopening it would
     * make it valid again for the time another key was in use.
     */
    activate: db.transaction((keyId: string, publicKey: string): void => {
      const held = selectOne.get(keyId) as ApiKeyRow | undefined;
      if (held?.validUntil) throw new Error(`the statement key ${keyId} was retired at ${held.validUntil} and is never used again; configure a new key`);
      const at = now().toISOString();
      closeOpen.run(at, keyId);
      insert.run(keyId, publicKey, at);
    }),

    list: (): ApiKeys['keys'] => select.all() as ApiKeyRow[],

    /** The key `keyId` if it was valid at `atMs`, else null: a statement signed outside its key's validity is void. */
    validAt(keyId: string, atMs: number): KeyObject | null {
      const row = selectOne.get(keyId) as ApiKeyRow | undefined;
      if (!row || atMs < Date.parse(row.validFrom) || (row.validUntil !== null && atMs > Date.parse(row.validUntil))) return null;
      let key = objects.get(keyId);
      if (!key) objects.set(keyId, (key = publicKeyObject(row.publicKey)));
      return key;
    },
  };
}

export type ApiKeyRegistry = ReturnType<typeof createApiKeyRegistry>;
