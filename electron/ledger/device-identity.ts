import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { KioskFailure } from '../../shared/contract/errors.ts';
import type { KeyVault } from './key-vault.ts';
import { keyIdOf } from './event-signing.ts';

export type DeviceIdentity = { deviceId: string; keyId: string; publicKey: Buffer };

type DeviceRow = { device_id: string; key_id: string; public_key: string };

export function readDevice(db: Database.Database): DeviceIdentity | null {
  const row = db.prepare('SELECT device_id, key_id, public_key FROM device WHERE singleton = 1').get() as
    | DeviceRow
    | undefined;
  if (!row) return null;
  return { deviceId: row.device_id, keyId: row.key_id, publicKey: Buffer.from(row.public_key, 'base64url') };
}

/**
 * The device id is created on first run and bound to the vault's key; a ledger that meets a different key refuses
 * to sign on, because its chain could no longer be verified as one device's history.
 */
export function ensureDevice(db: Database.Database, vault: KeyVault, now: Date): DeviceIdentity {
  const existing = readDevice(db);
  if (existing) {
    if (existing.keyId !== vault.keyId || !existing.publicKey.equals(vault.publicKey)) {
      throw new KioskFailure(
        'ledger_corrupt',
        `The ledger belongs to key ${existing.keyId}, but the key vault holds key ${vault.keyId}.`,
      );
    }
    return existing;
  }
  const created: DeviceIdentity = { deviceId: crypto.randomUUID(), keyId: keyIdOf(vault.publicKey), publicKey: vault.publicKey };
  db.prepare(
    'INSERT INTO device (singleton, device_id, key_id, public_key, created_at) VALUES (1, ?, ?, ?, ?)',
  ).run(created.deviceId, created.keyId, created.publicKey.toString('base64url'), now.toISOString());
  return created;
}
