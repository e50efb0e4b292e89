import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { KioskFailure } from '../../shared/contract/errors.ts';
import type { KeyVault } from './key-vault.ts';
import { keyIdOf } from './event-signing.ts';

/** The device and the key it signs with now (the last of its keys). */
export type DeviceIdentity = { deviceId: string; keyId: string; publicKey: Buffer };

/** One key of the device, valid for the seqs from `fromSeq` until the next key's `fromSeq`. */
export type DeviceKey = { fromSeq: number; keyId: string; publicKey: Buffer; addedAt: string };

type DeviceRow = { device_id: string; key_id: string; public_key: string };
type KeyRow = { from_seq: number; key_id: string; public_key: string; added_at: string };

/** The device row names the device and its first key; null on a ledger that has never been opened to capture. */
export function readDeviceRow(db: Database.Database): { deviceId: string; keyId: string; publicKey: Buffer } | null {
  const row = db.prepare('SELECT device_id, key_id, public_key FROM device WHERE singleton = 1').get() as DeviceRow | undefined;
  return row ? { deviceId: row.device_id, keyId: row.key_id, publicKey: Buffer.from(row.public_key, 'base64url') } : null;
}

/** Every key the device has signed with, in the order it used them. */
export function readDeviceKeys(db: Database.Database): DeviceKey[] {
  const rows = db.prepare('SELECT from_seq, key_id, public_key, added_at FROM device_keys ORDER BY from_seq').all() as KeyRow[];
  return rows.map((row) => ({ fromSeq: row.from_seq, keyId: row.key_id, publicKey: Buffer.from(row.public_key, 'base64url'), addedAt: row.added_at }));
}

/** The device with its current key, or null before the first start. */
export function readDevice(db: Database.Database): DeviceIdentity | null {
  const device = readDeviceRow(db);
  if (!device) return null;
  const current = readDeviceKeys(db).at(-1);
  return current ? { deviceId: device.deviceId, keyId: current.keyId, publicKey: current.publicKey } : device;
}

/**
 * The device id is created on first run and bound to the vault's key; a ledger that meets a different key refuses
 * to sign on, because its chain could no longer be verified as one device's history. A ledger whose current key is
 * the vault's next one was stopped between committing a key rotation and the vault switching to the key it named:
 * the vault finishes the switch.
 */
export function ensureDevice(db: Database.Database, vault: KeyVault, now: Date): DeviceIdentity {
  const existing = readDevice(db);
  if (existing) {
    const row = readDeviceRow(db)!;
    const first = readDeviceKeys(db)[0];
    if (!first || first.keyId !== row.keyId || !first.publicKey.equals(row.publicKey)) {
      throw new KioskFailure('ledger_corrupt', "The ledger's record of the device's first key does not match its key list.");
    }
    const holds = (key: { keyId: string; publicKey: Buffer }) => existing.keyId === key.keyId && existing.publicKey.equals(key.publicKey);
    if (!holds(vault) && holds(vault.next)) vault.promoteNext();
    if (!holds(vault)) {
      throw new KioskFailure(
        'ledger_corrupt',
        `The ledger belongs to key ${existing.keyId}, but the key vault holds key ${vault.keyId}.`,
      );
    }
    return existing;
  }
  if (db.prepare('SELECT 1 FROM events LIMIT 1').get() !== undefined || readDeviceKeys(db).length > 0) {
    throw new KioskFailure('ledger_corrupt', 'The ledger holds events but no record of the device that signed them.');
  }
  const created: DeviceIdentity = { deviceId: crypto.randomUUID(), keyId: keyIdOf(vault.publicKey), publicKey: vault.publicKey };
  const publicKey = created.publicKey.toString('base64url');
  db.prepare('INSERT INTO device (singleton, device_id, key_id, public_key, created_at) VALUES (1, ?, ?, ?, ?)').run(
    created.deviceId,
    created.keyId,
    publicKey,
    now.toISOString(),
  );
  db.prepare('INSERT INTO device_keys (from_seq, key_id, public_key, added_at) VALUES (1, ?, ?, ?)').run(created.keyId, publicKey, now.toISOString());
  return created;
}
