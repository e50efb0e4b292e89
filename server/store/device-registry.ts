import { createHash, randomBytes, randomInt } from 'node:crypto';
import { DEFAULT_TOKEN_VALID_HOURS } from '../../shared/contract/console.ts';
import { Placement } from '../../shared/contract/primitives.ts';
import { newEnrolmentToken } from '../../shared/enrolment-token.ts';
import type { DeviceKeys, EnrolmentRequest, EnrolmentResponse } from '../../shared/contract/sync.ts';
import { publicKeyObject } from '../keys/ed25519.ts';
import type { EnrolledDevice } from '../ingest/verify-event.ts';
import type { OperatorLog } from './operator-log.ts';
import type { SqlDb, SqlQueries } from './sql.ts';

/** A device as the API acts on it: what ingest checks (keys, businesses), when it was first enrolled, and the credential it came with. */
export interface DeviceRecord extends EnrolledDevice {
  enrolledMs: number;
  /** The key it signs with now: its keys change only with this (enrolment, rotation, re-enrolment). */
  keyId: string;
  /** Of the credential this request presented: ingest refuses a batch whose credential was replaced meanwhile. */
  credentialHash: string;
}

/** Only what a verify worker needs (it is cloned into the thread with every batch). */
export const forVerification = ({ id, keys, businessIds }: DeviceRecord): EnrolledDevice => ({ id, keys, businessIds });

export type EnrolmentRefusal = 'unknown_token' | 'token_used' | 'token_expired' | 'token_for_other_device' | 'device_enrolled' | 'device_revoked' | 'key_in_use';

export type EnrolmentOutcome = { ok: true; response: Omit<EnrolmentResponse, 'apiKeys'>; reEnrolled: boolean } | { ok: false; reason: EnrolmentRefusal };

/** What an operator may bind a token to. */
export interface TokenTerms {
  businessIds?: readonly string[];
  placement?: Placement;
  forDeviceId?: string;
  /** How long it stays usable (default DEFAULT_TOKEN_VALID_HOURS). */
  validHours?: number;
}

export type IssuedToken = { token: string; createdAt: string; expiresAt: string };

interface TokenRow {
  usedAt: string | null;
  /** null for tokens issued before tokens expired, and for the development token. */
  expiresAt: string | null;
  forDeviceId: string | null;
  businessIds: string | null;
  placement: string | null;
}

interface DeviceRow {
  id: string;
  keyId: string;
  enrolledAt: string;
  businessIds: string | null;
  placement: string | null;
  placementPinned: number;
  revokedAt: string | null;
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

const DEVICE = `SELECT id, key_id AS "keyId", enrolled_at AS "enrolledAt", business_ids AS "businessIds", placement, placement_pinned AS "placementPinned",
  revoked_at AS "revokedAt" FROM devices WHERE id = ?`;
const KEYS = `SELECT key_id AS "keyId", public_key AS "publicKey", from_seq AS "fromSeq", to_seq AS "toSeq", enrolled_at AS "addedAt", added_by AS "addedBy"
  FROM device_keys WHERE device_id = ? ORDER BY from_seq, enrolled_at`;
const INSERT_KEY = 'INSERT INTO device_keys (key_id, device_id, public_key, enrolled_at, from_seq, to_seq, added_by) VALUES (?, ?, ?, ?, ?, NULL, ?)';

/**
 * Enrolment tokens, devices, their keys (with the seqs each may sign), credentials, placement and revocation.
 * Secrets are stored only as SHA-256 hashes. A device id is bound to the device that first enrolled it: only a
 * token an operator issued for that id can give it a new credential or key. A device's keys are kept in memory
 * per device and current key, so an instance that did not see a rotation or re-enrolment reloads them.
 */
export function createDeviceRegistry(db: SqlDb, operators: OperatorLog, now: () => Date) {
  const { forUpdate } = db.dialect;
  const cache = new Map<string, { keyId: string; businessIds: string | null; record: Omit<DeviceRecord, 'credentialHash'> }>();

  async function recordPlacement(tx: SqlQueries, deviceId: string, placement: Placement, source: 'enrolment' | 'operator' | 'heartbeat', at: string): Promise<void> {
    await tx.run('UPDATE devices SET placement = ? WHERE id = ?', [JSON.stringify(placement), deviceId]);
    await tx.run(
      `INSERT INTO device_placements (device_id, from_at, placement, source) VALUES (?, ?, ?, ?)
       ON CONFLICT (device_id, from_at) DO UPDATE SET placement = excluded.placement, source = excluded.source`,
      [deviceId, at, JSON.stringify(placement), source],
    );
  }

  /** A new key for a device from seq `fromSeq`; the current one then covers the seqs before it. */
  async function replaceKey(tx: SqlQueries, deviceId: string, currentKeyId: string, next: { keyId: string; publicKey: string }, fromSeq: number, addedBy: 'rotation' | 'admin', at: string): Promise<void> {
    await tx.run('UPDATE device_keys SET to_seq = ? WHERE key_id = ? AND device_id = ?', [fromSeq - 1, currentKeyId, deviceId]);
    await tx.run(INSERT_KEY, [next.keyId, deviceId, next.publicKey, at, fromSeq, addedBy]);
    await tx.run('UPDATE devices SET key_id = ? WHERE id = ?', [next.keyId, deviceId]);
  }

  const enrolInTransaction = (request: EnrolmentRequest) =>
    db.transaction(async (tx): Promise<EnrolmentOutcome> => {
      const tokenHash = sha256Hex(request.token);
      const token = await tx.get<TokenRow>(
        `SELECT used_at AS "usedAt", expires_at AS "expiresAt", for_device_id AS "forDeviceId", business_ids AS "businessIds", placement FROM enrolment_tokens WHERE token_hash = ?${forUpdate}`,
        [tokenHash],
      );
      if (!token) return { ok: false, reason: 'unknown_token' };
      if (token.usedAt !== null) return { ok: false, reason: 'token_used' };
      if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now().getTime()) return { ok: false, reason: 'token_expired' };
      if (token.forDeviceId !== null && token.forDeviceId !== request.deviceId) return { ok: false, reason: 'token_for_other_device' };
      const existing = await tx.get<DeviceRow>(`${DEVICE}${forUpdate}`, [request.deviceId]);
      if (existing?.revokedAt) return { ok: false, reason: 'device_revoked' };
      if (existing && token.forDeviceId === null) return { ok: false, reason: 'device_enrolled' };
      const owner = await tx.value<string>('SELECT device_id FROM device_keys WHERE key_id = ?', [request.keyId]);
      if (owner !== undefined && (owner !== request.deviceId || existing?.keyId !== request.keyId)) return { ok: false, reason: 'key_in_use' };

      const credential = newSecret();
      const at = now().toISOString();
      const pinned = token.placement !== null;
      const placement = pinned ? placementOf(token.placement) : existing?.placementPinned ? placementOf(existing.placement) : (request.placement ?? placementOf(existing?.placement ?? null));
      const businessIds = token.businessIds ?? existing?.businessIds ?? null;
      const pinnedFlag = pinned || (existing?.placementPinned ?? 0) === 1 ? 1 : 0;
      if (existing) {
        await tx.run(
          'UPDATE devices SET credential_hash = ?, key_id = ?, app_version = ?, business_ids = ?, placement = ?, placement_pinned = ? WHERE id = ?',
          [sha256Hex(credential), request.keyId, request.appVersion, businessIds, json(placement), pinnedFlag, request.deviceId],
        );
        if (existing.keyId !== request.keyId) {
          const fromSeq = ((await tx.value<number>('SELECT COALESCE(MAX(seq), 0) FROM events WHERE device_id = ?', [request.deviceId])) ?? 0) + 1;
          await replaceKey(tx, request.deviceId, existing.keyId, request, fromSeq, 'admin', at);
        }
      } else {
        await tx.run(
          `INSERT INTO devices (id, credential_hash, key_id, app_version, enrolled_at, business_ids, placement, placement_pinned) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [request.deviceId, sha256Hex(credential), request.keyId, request.appVersion, at, businessIds, json(placement), pinnedFlag],
        );
        await tx.run(INSERT_KEY, [request.keyId, request.deviceId, request.publicKey, at, 1, 'enrolment']);
      }
      if (placement && json(placement) !== existing?.placement) await recordPlacement(tx, request.deviceId, placement, pinned ? 'operator' : 'enrolment', at);
      await tx.run('UPDATE enrolment_tokens SET used_at = ?, device_id = ? WHERE token_hash = ?', [at, request.deviceId, tokenHash]);
      await operators.record(tx, existing ? 'device_re_enrolled' : 'device_enrolled', request.deviceId, { keyId: request.keyId });
      return { ok: true, reEnrolled: existing !== undefined, response: { deviceId: request.deviceId, credential, enrolledAt: existing?.enrolledAt ?? at } };
    });

  async function record(row: { id: string; keyId: string; businessIds: string | null; enrolledAt: string }): Promise<Omit<DeviceRecord, 'credentialHash'>> {
    const cached = cache.get(row.id);
    if (cached && cached.keyId === row.keyId && cached.businessIds === row.businessIds) return cached.record;
    const keys = (await db.all<KeyRow>(KEYS, [row.id])).map((key) => ({ keyId: key.keyId, key: publicKeyObject(key.publicKey), fromSeq: key.fromSeq, toSeq: key.toSeq }));
    const fresh = {
      id: row.id,
      keys,
      keyId: row.keyId,
      enrolledMs: Date.parse(row.enrolledAt),
      businessIds: row.businessIds === null ? null : (JSON.parse(row.businessIds) as string[]),
    };
    cache.set(row.id, { keyId: row.keyId, businessIds: row.businessIds, record: fresh });
    return fresh;
  }

  const deviceRow = (deviceId: string) => db.get<DeviceRow>(DEVICE, [deviceId]);

  const devices = {
    /** A new one-time enrolment token (only its hash is kept), usable until it expires. */
    issueToken: (terms: TokenTerms = {}): Promise<IssuedToken> =>
      db.transaction(async (tx) => {
        const token = newEnrolmentToken(randomDigits);
        const created = now();
        const createdAt = created.toISOString();
        const expiresAt = new Date(created.getTime() + (terms.validHours ?? DEFAULT_TOKEN_VALID_HOURS) * 3_600_000).toISOString();
        await tx.run('INSERT INTO enrolment_tokens (token_hash, created_at, for_device_id, business_ids, placement, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
          sha256Hex(token), createdAt, terms.forDeviceId ?? null, json(terms.businessIds), json(terms.placement), expiresAt,
        ]);
        await operators.record(tx, terms.forDeviceId ? 're_enrolment_token_issued' : 'enrolment_token_issued', terms.forDeviceId ?? null, {
          businessIds: terms.businessIds ?? null,
          placement: terms.placement ?? null,
          expiresAt,
        });
        return { token, createdAt, expiresAt };
      }),

    /** The same, for callers that need the token alone (tests, the CLI). */
    createToken: async (terms: TokenTerms = {}): Promise<string> => (await devices.issueToken(terms)).token,

    /** Makes `token` a valid one-time token for every registered business unless it already exists (used or not). */
    async addToken(token: string): Promise<void> {
      await db.run('INSERT INTO enrolment_tokens (token_hash, created_at, for_device_id, business_ids, placement) VALUES (?, ?, NULL, NULL, NULL) ON CONFLICT DO NOTHING', [
        sha256Hex(token), now().toISOString(),
      ]);
    },

    enrol: (request: EnrolmentRequest): Promise<EnrolmentOutcome> => enrolInTransaction(request),

    /** The device a bearer credential belongs to, or null (unknown, replaced or revoked). */
    async authenticate(credential: string): Promise<DeviceRecord | null> {
      const credentialHash = sha256Hex(credential);
      const row = await db.get<{ id: string; keyId: string; businessIds: string | null; enrolledAt: string }>(
        'SELECT id, key_id AS "keyId", business_ids AS "businessIds", enrolled_at AS "enrolledAt" FROM devices WHERE credential_hash = ? AND revoked_at IS NULL',
        [credentialHash],
      );
      return row ? { ...(await record(row)), credentialHash } : null;
    },

    exists: async (deviceId: string): Promise<boolean> => (await deviceRow(deviceId)) !== undefined,
    isRevoked: async (deviceId: string): Promise<boolean> => Boolean((await deviceRow(deviceId))?.revokedAt),

    /** Refuses the device's credential and everything it uploads from now on. False if unknown or already revoked. */
    revoke: (deviceId: string, reason: string | null): Promise<boolean> =>
      db.transaction(async (tx) => {
        const { changes } = await tx.run('UPDATE devices SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL', [now().toISOString(), reason, deviceId]);
        if (changes === 1) await operators.record(tx, 'device_revoked', deviceId, { reason });
        return changes === 1;
      }),

    /** Inside the ingest transaction: a stored key rotation makes `next` valid after `seq`, the old key up to it. */
    registerRotation: (tx: SqlQueries, deviceId: string, currentKeyId: string, seq: number, next: { keyId: string; publicKey: string }, at = now().toISOString()): Promise<void> =>
      replaceKey(tx, deviceId, currentKeyId, next, seq + 1, 'rotation', at),

    keyOwner: async (keyId: string, on: SqlQueries = db): Promise<string | null> => (await on.value<string>('SELECT device_id FROM device_keys WHERE key_id = ?', [keyId])) ?? null,

    /** Where a device reports it stands (heartbeat): the registry follows it unless an operator pinned it. */
    reportPlacement: (deviceId: string, placement: Placement, at: string): Promise<void> =>
      db.transaction(async (tx) => {
        const row = await tx.get<DeviceRow>(`${DEVICE}${forUpdate}`, [deviceId]);
        if (!row || row.placementPinned === 1 || row.placement === JSON.stringify(placement)) return;
        await recordPlacement(tx, deviceId, placement, 'heartbeat', at);
      }),

    /** Where the device stood at `at` (ISO) as the registry recorded it; its current placement if none was recorded by then. */
    async placementAt(deviceId: string, at: string): Promise<Placement | null> {
      const recorded = await db.value<string>('SELECT placement FROM device_placements WHERE device_id = ? AND from_at <= ? ORDER BY from_at DESC LIMIT 1', [deviceId, at]);
      return placementOf(recorded ?? (await deviceRow(deviceId))?.placement ?? null);
    },

    /** GET /v1/devices/{id}/keys. */
    async publicKeys(deviceId: string): Promise<DeviceKeys | null> {
      const row = await deviceRow(deviceId);
      if (!row) return null;
      return {
        deviceId,
        placement: placementOf(row.placement),
        revokedAt: row.revokedAt,
        keys: (await db.all<KeyRow>(KEYS, [deviceId])).map(({ keyId, publicKey, fromSeq, toSeq, addedAt, addedBy }) => ({ keyId, publicKey, fromSeq, toSeq, addedAt, addedBy })),
      };
    },
  };
  return devices;
}

export type DeviceRegistry = ReturnType<typeof createDeviceRegistry>;
