import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseOrFail } from '../shared/contract/errors.ts';

export const MIB = 1024 * 1024;

/** Everything the server needs to run; from a JSON file and/or CONSENT_API_* environment variables. */
export const ServerConfig = z
  .object({
    dataDir: z.string().min(1),
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
  })
  .strict();
export type ServerConfig = z.output<typeof ServerConfig>;
export type ServerConfigInput = z.input<typeof ServerConfig>;

const ENV_FIELDS = {
  CONSENT_API_DATA_DIR: 'dataDir',
  CONSENT_API_PORT: 'port',
  CONSENT_API_HOST: 'host',
  CONSENT_API_WEBHOOK_APP_SECRET: 'webhookAppSecret',
  CONSENT_API_WEBHOOK_VERIFY_TOKEN: 'webhookVerifyToken',
  CONSENT_API_ADMIN_TOKEN: 'adminToken',
  CONSENT_API_CONSENT_READER_TOKEN: 'consentReaderToken',
  CONSENT_API_DEV_ENROLMENT_TOKEN: 'devEnrolmentToken',
  CONSENT_API_BODY_LIMIT_BYTES: 'bodyLimitBytes',
} as const satisfies Record<string, keyof ServerConfig>;

const NUMERIC_FIELDS: ReadonlySet<keyof ServerConfig> = new Set(['port', 'bodyLimitBytes']);

/** Parses a config, refusing a development enrolment token in production. */
export function parseServerConfig(input: unknown, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const config = parseOrFail(ServerConfig, input, 'server configuration');
  if (config.devEnrolmentToken !== undefined && env.NODE_ENV === 'production') {
    throw new Error('devEnrolmentToken is a development aid and is refused when NODE_ENV=production');
  }
  return config;
}

/** The JSON file at `configFile` (if any), overridden field by field by CONSENT_API_* environment variables. */
export function loadServerConfig(configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const fromFile: Record<string, unknown> = configFile ? (JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>) : {};
  for (const [name, field] of Object.entries(ENV_FIELDS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    fromFile[field] = NUMERIC_FIELDS.has(field) ? Number(value) : value;
  }
  return parseServerConfig(fromFile, env);
}
