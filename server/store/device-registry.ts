import type Database from 'better-sqlite3';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Placement } from '../../shared/contract/primitives.ts';
import { newEnrolmentToken } from '../../shared/enrolment-token.ts';
import type { DeviceKeys, EnrolmentRequest, EnrolmentResponse } from '../../shared/contract/sync.ts';
import { publicKeyObject } from '../keys/ed25519.ts';
import type { EnrolledDevice } from '../ingest/verify-event.ts';
import type { OperatorLog } from './operator-log.ts';

/** A device as the API acts on it: what ingest checks (keys, businesses) and when it was first enrolled. */
export interface DeviceRecord extends EnrolledDevice {
  enrolledMs: number;
}

/** Only what a verify worker needs (it is cloned into the thread with every batch). */
export const forVerification = ({ id, keys, businessIds }: DeviceRecord): EnrolledDevice => ({ id, keys, businessIds });

export type EnrolmentRefusal = 'unknown_token' | 'token_used' | 'token_for_other_device' | 'device_enrolled' | 'device_revoked' | 'key_in_use';

export type EnrolmentOutcome = { ok: true; response: Omit<EnrolmentResponse, 'apiKeys'>; reEnrolled: boolean } | { ok: false; reason: EnrolmentRefusal };

/** What an operator may bind a token to. */
export interface TokenTerms {
  businessIds?: readonly string[];
  placement?: Placement;
  forDeviceId?: string;
}

interface TokenRow {
  used_at: string | null;
  for_device_id: string | null;
  business_ids: string | null;
  placement: string | null;
}

interface DeviceRow {
  id: string;
  key_id: string;
  enrolled_at: string;
  business_ids: string | null;
  placement: string | null;
  placement_pinned: number;
  revoked_at: string | null;
}

interface KeyRow {
  keyId: string;
  publicKey: string;
  fromSeq: number;
  toSeq: number | null;
  addedAt: string;
  addedBy: 'enrolment' | 'rotation' | 'admin';
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
const newSecret = (): string => randomBytes(32).toString('base64url');
const randomDigits = (count: number): string => Array.from({ length: count }, () => randomInt(10)).join('');
const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));
const placementOf = (text: string | null): Placement | null => (text === null ? null : Placement.parse(JSON.parse(text)));

/**
 * Enrolment tokens, devices, their keys (with the seqs each may sign), credentials, placement and revocation.
 * Secrets are stored only as SHA-256 hashes. A device id is bound to the device that first enrolled it: only a
 * token an operator issued for that id can give it a new credential or key.
 */
export function createDeviceRegistry(db: Database.Database, operators: OperatorLog, now: () => Date) {
  const insertToken = db.prepare(
    'INSERT OR IGNORE INTO enrolment_tokens (token_hash, created_at, for_device_id, business_ids, placement) VALUES (?, ?, ?, ?, ?)',
  );
  const selectToken = db.prepare('SELECT used_at, for_device_id, business_ids, placement FROM enrolment_tokens WHERE token_hash = ?');
  const useToken = db.prepare('UPDATE enrolment_tokens SET used_at = ?, device_id = ? WHERE token_hash = ?');
  const selectKeyOwner = db.prepare('SELECT device_id FROM device_keys WHERE key_id = ?').pluck();
  const selectDevice = db.prepare(
    'SELECT id, key_id, enrolled_at, business_ids, placement, placement_pinned, revoked_at FROM devices WHERE id = ?',
  );
  const insertDevice = db.prepare(`
    INSERT INTO devices (id, credential_hash, key_id, app_version, enrolled_at, business_ids, placement, placement_pinned)
    VALUES (@id, @credentialHash, @keyId, @appVersion, @at, @businessIds, @placement, @pinned)`);
  const reEnrolDevice = db.prepare(`
    UPDATE devices SET credential_hash = @credentialHash, key_id = @keyId, app_version = @appVersion,
      business_ids = @businessIds, placement = @placement, placement_pinned = @pinned WHERE id = @id`);
  const insertKey = db.prepare(
    'INSERT INTO device_keys (key_id, device_id, public_key, enrolled_at, from_seq, to_seq, added_by) VALUES (?, ?, ?, ?, ?, NULL, ?)',
  );
  const endKey = db.prepare('UPDATE device_keys SET to_seq = ? WHERE key_id = ? AND device_id = ?');
  const setCurrentKey = db.prepare('UPDATE devices SET key_id = ? WHERE id = ?');
  const selectHighestSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM events WHERE device_id = ?').pluck();
  const insertPlacement = db.prepare('INSERT OR REPLACE INTO device_placements (device_id, from_at, placement, source) VALUES (?, ?, ?, ?)');
  const updatePlacement = db.prepare('UPDATE devices SET placement = ? WHERE id = ?');
  const selectPlacementAt = db.prepare(
    'SELECT placement FROM device_placements WHERE device_id = ? AND from_at <= ? ORDER BY from_at DESC LIMIT 1',
  ).pluck();
  const revokeDevice = db.prepare('UPDATE devices SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL');
  const selectDeviceByCredential = db.prepare('SELECT id FROM devices WHERE credential_hash = ? AND revoked_at IS NULL').pluck();
  const selectKeys = db.prepare(`
    SELECT key_id AS keyId, public_key AS publicKey, from_seq AS fromSeq, to_seq AS toSeq, enrolled_at AS addedAt, added_by AS addedBy
    FROM device_keys WHERE device_id = ? ORDER BY from_seq, enrolled_at`);
  const cache = new Map<string, DeviceRecord>();

  const loadDevice = (id: string): DeviceRecord | null => {
    const row = selectDevice.get(id) as DeviceRow | undefined;
    if (!row) return null;
    const keys = (selectKeys.all(id) as KeyRow[]).map((key) => ({ keyId: key.keyId, key: publicKeyObject(key.publicKey), fromSeq: key.fromSeq, toSeq: key.toSeq }));
    const device: DeviceRecord = {
      id,
      keys,
      enrolledMs: Date.parse(row.enrolled_at),
      businessIds: row.business_ids === null ? null : (JSON.parse(row.business_ids) as string[]),
    };
    cache.set(id, device);
    return device;
  };

  const recordPlacement = db.transaction((deviceId: string, placement: Placement, source: 'enrolment' | 'operator' | 'heartbeat', at: string): void => {
    updatePlacement.run(JSON.stringify(placement), deviceId);
    insertPlacement.run(deviceId, at, JSON.stringify(placement), source);
  });

  /** A new key for a device from seq `fromSeq`; the current one then covers the seqs before it. */
  function replaceKey(deviceId: string, currentKeyId: string, next: { keyId: string; publicKey: string }, fromSeq: number, addedBy: 'rotation' | 'admin', at: string): void {
    endKey.run(fromSeq - 1, currentKeyId, deviceId);
    insertKey.run(next.keyId, deviceId, next.publicKey, at, fromSeq, addedBy);
    setCurrentKey.run(next.keyId, deviceId);
  }

  const enrolInTransaction = db.transaction((request: EnrolmentRequest): EnrolmentOutcome => {
    const tokenHash = sha256Hex(request.token);
    const token = selectToken.get(tokenHash) as TokenRow | undefined;
    if (!token) return { ok: false, reason: 'unknown_token' };
    if (token.used_at !== null) return { ok: false, reason: 'token_used' };
    if (token.for_device_id !== null && token.for_device_id !== request.deviceId) return { ok: false, reason: 'token_for_other_device' };
    const existing = selectDevice.get(request.deviceId) as DeviceRow | undefined;
    if (existing?.revoked_at) return { ok: false, reason: 'device_revoked' };
    if (existing && token.for_device_id === null) return { ok: false, reason: 'device_enrolled' };
    const owner = selectKeyOwner.get(request.keyId) as string | undefined;
    if (owner !== undefined && (owner !== request.deviceId || existing?.key_id !== request.keyId)) return { ok: false, reason: 'key_in_use' };

    const credential = newSecret();
    const at = now().toISOString();
    const pinned = token.placement !== null;
    const placement = pinned ? placementOf(token.placement) : existing?.placement_pinned ? placementOf(existing.placement) : (request.placement ?? placementOf(existing?.placement ?? null));
    const row = {
      id: request.deviceId,
      credentialHash: sha256Hex(credential),
      keyId: request.keyId,
      appVersion: request.appVersion,
      at,
      businessIds: token.business_ids ?? existing?.business_ids ?? null,
      placement: json(placement),
      pinned: pinned || (existing?.placement_pinned ?? 0) === 1 ? 1 : 0,
    };
    if (existing) {
      reEnrolDevice.run(row);
      if (existing.key_id !== request.keyId) {
        const fromSeq = (selectHighestSeq.get(request.deviceId) as number) + 1;
        replaceKey(request.deviceId, existing.key_id, request, fromSeq, 'admin', at);
      }
    } else {
      insertDevice.run(row);
      insertKey.run(request.keyId, request.deviceId, request.publicKey, at, 1, 'enrolment');
    }
    if (placement && json(placement) !== existing?.placement) recordPlacement(request.deviceId, placement, pinned ? 'operator' : 'enrolment', at);
    useToken.run(at, request.deviceId, tokenHash);
    operators.record(existing ? 'device_re_enrolled' : 'device_enrolled', request.deviceId, { keyId: request.keyId });
    return { ok: true, reEnrolled: existing !== undefined, response: { deviceId: request.deviceId, credential, enrolledAt: existing?.enrolled_at ?? at } };
  });

  return {
    /** A new one-time enrolment token; only its hash is kept. */
    createToken(terms: TokenTerms = {}): string {
      const token = newEnrolmentToken(randomDigits);
      insertToken.run(sha256Hex(token), now().toISOString(), terms.forDeviceId ?? null, json(terms.businessIds), json(terms.placement));
      operators.record(terms.forDeviceId ? 're_enrolment_token_issued' : 'enrolment_token_issued', terms.forDeviceId ?? null, {
        businessIds: terms.businessIds ?? null,
        placement: terms.placement ?? null,
      });
      return token;
    },

    /** Makes `token` a valid one-time token for every registered business unless it already exists (used or not). */
    addToken(token: string): void {
      insertToken.run(sha256Hex(token), now().toISOString(), null, null, null);
    },

    enrol(request: EnrolmentRequest): EnrolmentOutcome {
      const outcome = enrolInTransaction(request);
      if (outcome.ok) cache.delete(request.deviceId);
      return outcome;
    },

    /** The device a bearer credential belongs to, or null (unknown, replaced or revoked). */
    authenticate(credential: string): DeviceRecord | null {
      const id = selectDeviceByCredential.get(sha256Hex(credential)) as string | undefined;
      if (id === undefined) return null;
      return cache.get(id) ?? loadDevice(id);
    },

    exists: (deviceId: string): boolean => selectDevice.get(deviceId) !== undefined,
    isRevoked: (deviceId: string): boolean => Boolean((selectDevice.get(deviceId) as DeviceRow | undefined)?.revoked_at),

    /** Refuses the device's credential and everything it uploads from now on. False if unknown or already revoked. */
    revoke(deviceId: string, reason: string | null): boolean {
      const revoked = revokeDevice.run(now().toISOString(), reason, deviceId).changes === 1;
      if (revoked) {
        cache.delete(deviceId);
        operators.record('device_revoked', deviceId, { reason });
      }
      return revoked;
    },

    /** Inside the ingest transaction: a stored key rotation makes `next` valid after `seq`, the old key up to it. */
    registerRotation(deviceId: string, currentKeyId: string, seq: number, next: { keyId: string; publicKey: string }): void {
      replaceKey(deviceId, currentKeyId, next, seq + 1, 'rotation', now().toISOString());
      cache.delete(deviceId);
    },

    keyOwner: (keyId: string): string | null => (selectKeyOwner.get(keyId) as string | undefined) ?? null,

    /** Where a device reports it stands (heartbeat): the registry follows it unless an operator pinned it. */
    reportPlacement(deviceId: string, placement: Placement, at: string): void {
      const row = selectDevice.get(deviceId) as DeviceRow | undefined;
      if (!row || row.placement_pinned === 1 || row.placement === JSON.stringify(placement)) return;
      recordPlacement(deviceId, placement, 'heartbeat', at);
    },

    /** Where the device stood at `at` (ISO) as the registry recorded it; its current placement if none was recorded by then. */
    placementAt(deviceId: string, at: string): Placement | null {
      const row = selectDevice.get(deviceId) as DeviceRow | undefined;
      return placementOf((selectPlacementAt.get(deviceId, at) as string | undefined) ?? row?.placement ?? null);
    },

    /** GET /v1/devices/{id}/keys. */
    publicKeys(deviceId: string): DeviceKeys | null {
      const row = selectDevice.get(deviceId) as DeviceRow | undefined;
      if (!row) return null;
      return {
        deviceId,
        placement: placementOf(row.placement),
        revokedAt: row.revoked_at,
        keys: (selectKeys.all(deviceId) as KeyRow[]).map(({ keyId, publicKey, fromSeq, toSeq, addedAt, addedBy }) => ({ keyId, publicKey, fromSeq, toSeq, addedAt, addedBy })),
      };
    },
  };
}

export type DeviceRegistry = ReturnType<typeof createDeviceRegistry>;
