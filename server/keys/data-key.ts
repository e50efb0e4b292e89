import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSecretFile, readSecretFile } from './secret-file.ts';

export const DATA_KEY_FILE = 'data.key';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The configured key file (32 bytes, base64), or one made once in dataDir. */
function loadKey(options: { dataDir: string; dataKeyFile?: string }): Buffer {
  const path = options.dataKeyFile ?? join(options.dataDir, DATA_KEY_FILE);
  if (options.dataKeyFile === undefined && !existsSync(path)) createSecretFile(path, `${randomBytes(32).toString('base64')}\n`);
  const key = Buffer.from(readSecretFile(path, 'data key').toString('utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`the data key file ${path} must hold 32 bytes in base64 (it holds ${key.length})`);
  return key;
}

/**
 * Personal data at rest: AES-256-GCM under the data key, a fresh 96-bit IV per value, and the value's role as
 * associated data (a phone sealed as a subject opening cannot be passed off as a webhook payload). Lookups never
 * decrypt: they go through `lookup`, an HMAC under a key derived from the same data key, so the database alone
 * — without the key file — neither opens a value nor lets one test a guessed number against the index.
 */
export function loadDataKey(options: { dataDir: string; dataKeyFile?: string }) {
  const key = loadKey(options);
  const lookupKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'consent-api lookup v1', 32));
  return {
    /** Names the key without revealing it, so a database is never opened with another key. */
    keyId: createHash('sha256').update(key).digest('hex').slice(0, 16),

    seal(plain: string | Buffer, role: string): Buffer {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(role));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]);
    },

    open(sealed: Buffer, role: string): Buffer {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES)).setAAD(Buffer.from(role));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    },

    /** The keyed hash an index holds instead of a value (a phone number, a business-scoped user id). */
    lookup: (value: string): string => createHmac('sha256', lookupKey).update(value).digest('hex'),
  };
}

export type DataKey = ReturnType<typeof loadDataKey>;
