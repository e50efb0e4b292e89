import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseOrFail } from '../shared/contract/errors.ts';
import { RegisteredBusiness } from './businesses/registered-business.ts';

export const MIB = 1024 * 1024;

/** Everything the server needs to run; from a JSON file and/or CONSENT_API_* environment variables. */
export const ServerConfig = z
  .object({
    dataDir: z.string().min(1),
    // PostgreSQL (postgres://user:password@host:port/database), which any number of API instances may share; unset:
    // the embedded SQLite file in dataDir, for one instance.
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    port: z.number().int().min(0).max(65_535).default(8787),
    host: z.string().min(1).default('127.0.0.1'),
    // unset: the WhatsApp webhook endpoints answer 403 (a missing secret must never mean "accept anything").
    webhookAppSecret: z.string().min(8).optional(),
    webhookVerifyToken: z.string().min(8).optional(),
    // unset: the /v1/admin endpoints answer 403.
    adminToken: z.string().min(16).optional(),
    // for the messaging system's consent check and subject state; the admin token works there too.
    consentReaderToken: z.string().min(16).optional(),
    // inserted as a valid one-time enrolment token at start, so `npm start` can enrol a kiosk without an operator.
    devEnrolmentToken: z.string().min(16).max(128).optional(),
    bodyLimitBytes: z.number().int().min(64 * 1024).max(64 * MIB).default(2 * MIB),
    // the API's Ed25519 statement key (PKCS#8 PEM, mode 0600); unset: generated once as statement-key.pem in dataDir.
    statementKeyFile: z.string().min(1).optional(),
    // the AES-256 key personal data is encrypted with (32 bytes, base64, mode 0600); unset: data.key in dataDir.
    dataKeyFile: z.string().min(1).optional(),
    // registered (or updated) at every start; the admin API adds more.
    businesses: z.array(RegisteredBusiness).max(1000).default([]),
    // how far a device's own estimate of a time may stray outside the bounds the API knows before it is flagged
    // `clamped`, and how far beyond its arrival a WhatsApp timestamp may lie before the delivery is refused.
    clockToleranceMs: z.number().int().min(0).max(86_400_000).default(60_000),
    // a chain gap still open this long after the event beyond it arrived is reported (log, device listing).
    chainGapSettleMs: z.number().int().min(0).max(86_400_000).default(60_000),
    // the console's session cookie is Secure (sent over TLS only); unset: Secure unless the API listens on loopback.
    consoleSecureCookie: z.boolean().optional(),
    // provisioning profiles (the kiosks' own files) naming each business's data controller, for the receipts the
    // console issues; none: receipts are refused with a sentence saying so.
    receiptProfiles: z.array(z.string().min(1)).max(50).default([]),
    // the organisation's provisioning public key (SPKI PEM), the one its terminals pin: profiles published for
    // devices must be signed with it, and consents are checked against the notices published profiles approve.
    // unset: publishing is refused with a sentence saying so, and no consent is flagged.
    provisioningKeyFile: z.string().min(1).optional(),
  })
  .strict();
export type ServerConfig = z.output<typeof ServerConfig>;
export type ServerConfigInput = z.input<typeof ServerConfig>;

const ENV_FIELDS = {
  CONSENT_API_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  CONSENT_API_PORT: 'port',
  CONSENT_API_HOST: 'host',
  CONSENT_API_WEBHOOK_APP_SECRET: 'webhookAppSecret',
  CONSENT_API_WEBHOOK_VERIFY_TOKEN: 'webhookVerifyToken',
  CONSENT_API_ADMIN_TOKEN: 'adminToken',
  CONSENT_API_CONSENT_READER_TOKEN: 'consentReaderToken',
  CONSENT_API_DEV_ENROLMENT_TOKEN: 'devEnrolmentToken',
  CONSENT_API_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  CONSENT_API_STATEMENT_KEY_FILE: 'statementKeyFile',
  CONSENT_API_DATA_KEY_FILE: 'dataKeyFile',
  CONSENT_API_BUSINESSES: 'businesses',
  CONSENT_API_CLOCK_TOLERANCE_MS: 'clockToleranceMs',
  CONSENT_API_CHAIN_GAP_SETTLE_MS: 'chainGapSettleMs',
  CONSENT_API_CONSOLE_SECURE_COOKIE: 'consoleSecureCookie',
  CONSENT_API_RECEIPT_PROFILES: 'receiptProfiles',
  CONSENT_API_PROVISIONING_KEY_FILE: 'provisioningKeyFile',
} as const satisfies Record<string, keyof ServerConfig>;

const NUMERIC_FIELDS: ReadonlySet<keyof ServerConfig> = new Set(['port', 'bodyLimitBytes', 'clockToleranceMs', 'chainGapSettleMs']);
const JSON_FIELDS: ReadonlySet<keyof ServerConfig> = new Set(['businesses', 'consoleSecureCookie', 'receiptProfiles']);

/** The CONSENT_API_* variables (and DATABASE_URL) that carry `config`, for a child process (server/spawn-server.ts). */
export function configEnv(config: ServerConfigInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, field] of Object.entries(ENV_FIELDS)) {
    const value = config[field];
    if (value !== undefined) env[name] = JSON_FIELDS.has(field) ? JSON.stringify(value) : String(value);
  }
  return env;
}

/** Parses a config, refusing a development enrolment token in production. */
export function parseServerConfig(input: unknown, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const config = parseOrFail(ServerConfig, input, 'server configuration');
  if (config.devEnrolmentToken !== undefined && env.NODE_ENV === 'production') {
    throw new Error('devEnrolmentToken is a development aid and is refused when NODE_ENV=production');
  }
  return config;
}

function envValue(field: keyof ServerConfig, value: string): unknown {
  if (NUMERIC_FIELDS.has(field)) return Number(value);
  if (!JSON_FIELDS.has(field)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new Error(`the environment variable for ${field} is not valid JSON`);
  }
}

/** The JSON file at `configFile` (if any), overridden field by field by CONSENT_API_* environment variables and DATABASE_URL. */
export function loadServerConfig(configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const fromFile: Record<string, unknown> = configFile ? (JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>) : {};
  for (const [name, field] of Object.entries(ENV_FIELDS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    fromFile[field] = envValue(field, value);
  }
  return parseServerConfig(fromFile, env);
}
