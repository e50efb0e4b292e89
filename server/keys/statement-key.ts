import { createPrivateKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiStatement, SignedApiStatement } from '../../shared/contract/api-statement.ts';
import { canonicalApiStatement } from '../../shared/event-bytes.ts';
import type { ApiKeyRegistry } from '../store/api-keys.ts';
import { keyIdOf, rawPublicKeyOf } from './ed25519.ts';
import { createSecretFile, readSecretFile } from './secret-file.ts';

export const STATEMENT_KEY_FILE = 'statement-key.pem';

/**
 * The configured key file (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes), or one made once in dataDir
 * unless `mayCreate` says no: a database other API instances share keeps the key they all sign with, and a key made
 * here would retire theirs.
 */
function loadPrivateKey(options: { dataDir: string; statementKeyFile?: string }, mayCreate: boolean): KeyObject {
  const path = options.statementKeyFile ?? join(options.dataDir, STATEMENT_KEY_FILE);
  if (options.statementKeyFile === undefined && !existsSync(path)) {
    if (!mayCreate) {
      throw new Error(`the statement key file ${path} is missing and this database already has a statement key: give every instance the same key file (statementKeyFile)`);
    }
    createSecretFile(path, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readSecretFile(path, 'statement key'));
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('the statement key')) throw error;
    throw new Error(`the statement key file ${path} does not hold a PKCS#8 PEM private key`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the statement key file ${path} holds a ${String(key.asymmetricKeyType)} key, not Ed25519`);
  return key;
}

export type HeadStatementInput = Pick<ApiStatement, 'deviceId' | 'head'>;

/** Why a statement a kiosk recorded is void, or null when it is the API's own and about that device. */
export type StatementFault = 'unknown_key' | 'bad_signature' | 'other_device';

/**
 * The API's signing key: every statement it makes, and the check of statements kiosks hand back to it.
 * `shared`: the database is one several instances may use (PostgreSQL), whose key is never made here once it has one.
 */
export async function loadStatementKey(options: { dataDir: string; statementKeyFile?: string }, registry: ApiKeyRegistry, now: () => Date, shared = false) {
  const privateKey = loadPrivateKey(options, !shared || !(await registry.any()));
  const publicKey = rawPublicKeyOf(privateKey);
  const keyId = keyIdOf(publicKey);
  await registry.activate(keyId, publicKey);

  return {
    keyId,
    keys: () => registry.list(),

    /** "At this moment I hold this device's chain, without a gap, up to `head`", signed. */
    headStatement({ deviceId, head }: HeadStatementInput): SignedApiStatement {
      const statement: ApiStatement = { v: 1, type: 'device_head', keyId, deviceId, head, issuedAt: now().toISOString() };
      return { statement, sig: sign(null, Buffer.from(canonicalApiStatement(statement)), privateKey).toString('base64url') };
    },

    /** Checks a statement against the API's keys (valid when it was issued) and the device it must be about. */
    async fault({ statement, sig }: SignedApiStatement, deviceId: string): Promise<StatementFault | null> {
      const key = await registry.validAt(statement.keyId, Date.parse(statement.issuedAt));
      if (!key) return 'unknown_key';
      if (!verify(null, Buffer.from(canonicalApiStatement(statement)), key, Buffer.from(sig, 'base64url'))) return 'bad_signature';
      return statement.deviceId === deviceId ? null : 'other_device';
    },
  };
}

export type StatementKey = Awaited<ReturnType<typeof loadStatementKey>>;
