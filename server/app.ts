import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import { KioskFailure, type KioskError } from '../shared/contract/errors.ts';
import type { ServerConfig } from './config.ts';
import type { Store } from './store/store.ts';
import type { IngestWriter } from './ingest/ingest-writer.ts';
import type { DeviceEnv } from './http/bearer-auth.ts';
import { ApiFailure, statusOf, storageFailure } from './http/api-failure.ts';
import { bodyTooLarge, readBody } from './http/read-body.ts';
import { registerEnrolmentRoutes } from './routes/enrolment.ts';
import { INGEST_PATH, registerIngestRoutes } from './routes/ingest.ts';
import { CONSENT_READ_PATHS, registerConsentRoutes } from './routes/consent.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';
import { registerHeartbeatRoutes } from './routes/heartbeat.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerKeyRoutes } from './routes/keys.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { requireToken } from './http/bearer-auth.ts';
import { registerConsole } from './console/register-console.ts';
import { createProfilePublisher, readProvisioningKey } from './profiles/publish-profile.ts';
import { registerProfileRoutes } from './routes/profiles.ts';

export type ApiApp = OpenAPIHono<DeviceEnv>;

export interface ApiContext {
  store: Store;
  /** Where ingest stores its batches: a thread of its own with its own connection to `store`'s database. */
  ingestWriter: IngestWriter;
  config: ServerConfig;
  /** One line per operational fact; never given a phone number unmasked. */
  log: (line: string) => void;
  now: () => Date;
}

/** What any failure becomes on the way out: a KioskError with its status, never a stack trace. */
export function failureOf(error: unknown, { log, store }: Pick<ApiContext, 'log' | 'store'>): KioskFailure {
  if (error instanceof KioskFailure) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new ApiFailure('invalid_request', 'The request body is too large.', { status: 413 });
    if (error.status < 500) return new ApiFailure('invalid_request', error.message || 'Malformed request.', { status: error.status });
  }
  const storage = store.failure(error);
  if (storage !== null) return storageFailure(storage, (error as { code?: string }).code, log);
  log(`internal error: ${error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown'}`);
  return new ApiFailure('internal', 'Something went wrong on the server; nothing was stored.');
}

/** A request part its schema refused, with up to 50 of the issues. */
export function invalidInput(target: string, error: z.ZodError): ApiFailure {
  const details = error.issues.slice(0, 50).map((issue) => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message }));
  return new ApiFailure('invalid_request', `Invalid ${target}: ${details[0]?.path ?? '(root)'}: ${details[0]?.message ?? 'malformed'}`, { details });
}

/** Builds the HTTP API over an open store. Every failure leaves as a KioskError JSON body, never a stack trace. */
export function createApp(context: ApiContext): ApiApp {
  const app: ApiApp = new OpenAPIHono<DeviceEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidInput(result.target, result.error);
    },
  });

  app.onError((error, c) => {
    const failure = failureOf(error, context);
    return c.json(failure.toJSON() satisfies KioskError, statusOf(failure));
  });
  app.notFound((c) => c.json({ code: 'not_found', message: `No such endpoint: ${c.req.method} ${c.req.path}` } satisfies KioskError, 404));

  const limitBody = bodyLimit({
    maxSize: context.config.bodyLimitBytes,
    onError: () => {
      throw bodyTooLarge(context.config.bodyLimitBytes);
    },
  });
  const utf8 = new TextDecoder();
  // ingest reads its body itself, within the same limit (http/read-body.ts). The consent reads' bodies are read
  // straight from Node's request too and handed to the validator as text (decoded as the Fetch body would be):
  // hono's body limit and validator would otherwise build a Fetch Request and read it through a web stream, a
  // large share of a check's cost (docs/benchmarks.md, Consent check). hono keeps the body's promise in bodyCache
  // (its type says the value; every check test would fail if that changed).
  app.use('*', async (c, next) => {
    if (c.req.path === INGEST_PATH) return next();
    if (c.req.method === 'POST' && CONSENT_READ_PATHS.has(c.req.path)) {
      (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(utf8.decode(await readBody(c, context.config.bodyLimitBytes)));
      return next();
    }
    return limitBody(c, next);
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'device', { type: 'http', scheme: 'bearer', description: 'Device credential from enrolment' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'admin', { type: 'http', scheme: 'bearer', description: 'Operator admin token' });

  app.get('/health', (c) => c.json({ status: 'ok', serverTime: context.now().toISOString() }));
  app.use('/v1/admin/*', requireToken([context.config.adminToken], 'admin'));
  registerEnrolmentRoutes(app, context);
  registerKeyRoutes(app, context);
  const provisioningKey = context.config.provisioningKeyFile ? readProvisioningKey(context.config.provisioningKeyFile) : null;
  const publisher = createProfilePublisher(context.store, provisioningKey, context.now);
  registerIngestRoutes(app, context, { checkNotices: provisioningKey !== null });
  registerConsentRoutes(app, context);
  registerWebhookRoutes(app, context);
  registerHeartbeatRoutes(app, context);
  registerAuditRoutes(app, context);
  registerAdminRoutes(app, context);
  registerProfileRoutes(app, context, publisher);
  registerConsole(app, context, publisher);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Consent kiosk central consent API', version: '1.0.0' },
  });
  return app;
}
