import type Database from 'better-sqlite3';
import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import type { EnrolmentRequest, EnrolmentResponse } from '../../shared/contract/sync.ts';

/** A device as ingest sees it: every key it has enrolled, ready for `crypto.verify`. */
export interface EnrolledDevice {
  id: string;
  keys: ReadonlyMap<string, KeyObject>;
}

export type EnrolmentOutcome =
  | { ok: true; response: EnrolmentResponse }
  | { ok: false; reason: 'unknown_token' | 'token_used' | 'key_in_use' };

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** keyId = first 16 bytes (hex) of SHA-256 of the raw 32-byte public key. */
export function keyIdOf(publicKeyBase64Url: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyBase64Url, 'base64url')).digest('hex').slice(0, 32);
}

const newSecret = (): string => randomBytes(32).toString('base64url');

/** Enrolment tokens, devices, their keys and credentials. Secrets are stored only as SHA-256 hashes. */
export function createDeviceRegistry(db: Database.Database, now: () => Date) {
  const insertToken = db.prepare('INSERT OR IGNORE INTO enrolment_tokens (token_hash, created_at) VALUES (?, ?)');
  const selectToken = db.prepare('SELECT used_at FROM enrolment_tokens WHERE token_hash = ?');
  const useToken = db.prepare('UPDATE enrolment_tokens SET used_at = ?, device_id = ? WHERE token_hash = ?');
  const selectKeyOwner = db.prepare('SELECT device_id FROM device_keys WHERE key_id = ?').pluck();
  const upsertDevice = db.prepare(`
    INSERT INTO devices (id, credential_hash, key_id, app_version, enrolled_at) VALUES (@id, @credentialHash, @keyId, @appVersion, @at)
    ON CONFLICT (id) DO UPDATE SET credential_hash = excluded.credential_hash, key_id = excluded.key_id,
      app_version = excluded.app_version, enrolled_at = excluded.enrolled_at`);
  const insertKey = db.prepare('INSERT OR IGNORE INTO device_keys (key_id, device_id, public_key, enrolled_at) VALUES (?, ?, ?, ?)');
  const selectDeviceByCredential = db.prepare('SELECT id FROM devices WHERE credential_hash = ?').pluck();
  const selectKeys = db.prepare('SELECT key_id, public_key FROM device_keys WHERE device_id = ?');
  const cache = new Map<string, EnrolledDevice>();

  const loadDevice = (id: string): EnrolledDevice => {
    const rows = selectKeys.all(id) as { key_id: string; public_key: string }[];
    const keys = new Map(
      rows.map((row) => [row.key_id, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: row.public_key }, format: 'jwk' })]),
    );
    const device = { id, keys };
    cache.set(id, device);
    return device;
  };

  const enrolInTransaction = db.transaction((request: EnrolmentRequest): EnrolmentOutcome => {
    const tokenHash = sha256Hex(request.token);
    const token = selectToken.get(tokenHash) as { used_at: string | null } | undefined;
    if (!token) return { ok: false, reason: 'unknown_token' };
    if (token.used_at !== null) return { ok: false, reason: 'token_used' };
    const owner = selectKeyOwner.get(request.keyId) as string | undefined;
    if (owner !== undefined && owner !== request.deviceId) return { ok: false, reason: 'key_in_use' };
    const credential = newSecret();
    const at = now().toISOString();
    upsertDevice.run({ id: request.deviceId, credentialHash: sha256Hex(credential), keyId: request.keyId, appVersion: request.appVersion, at });
    insertKey.run(request.keyId, request.deviceId, request.publicKey, at);
    useToken.run(at, request.deviceId, tokenHash);
    return { ok: true, response: { deviceId: request.deviceId, credential, enrolledAt: at } };
  });

  return {
    /** A new one-time enrolment token; only its hash is kept. */
    createToken(): string {
      const token = newSecret();
      insertToken.run(sha256Hex(token), now().toISOString());
      return token;
    },

    /** Makes `token` a valid one-time token unless it already exists (used or not). */
    addToken(token: string): void {
      insertToken.run(sha256Hex(token), now().toISOString());
    },

    enrol(request: EnrolmentRequest): EnrolmentOutcome {
      const outcome = enrolInTransaction(request);
      if (outcome.ok) cache.delete(request.deviceId);
      return outcome;
    },

    /** The device a bearer credential belongs to, or null. */
    authenticate(credential: string): EnrolledDevice | null {
      const id = selectDeviceByCredential.get(sha256Hex(credential)) as string | undefined;
      if (id === undefined) return null;
      return cache.get(id) ?? loadDevice(id);
    },
  };
}

export type DeviceRegistry = ReturnType<typeof createDeviceRegistry>;
