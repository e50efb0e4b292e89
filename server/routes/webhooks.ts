import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { WhatsAppWebhook } from '../../shared/contract/whatsapp-webhook.ts';
import { maskPhone } from '../../shared/phone.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { ApiFailure } from '../http/api-failure.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';
import { changesIn } from '../consent/whatsapp-changes.ts';

const PATH = '/v1/webhooks/whatsapp';
const notConfigured = () => new ApiFailure('forbidden', 'WhatsApp webhooks are not configured on this server.');

function sameSecret(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`, compared in constant time. */
function signedByMeta(raw: Buffer, header: string | undefined, appSecret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  return timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected);
}

export function registerWebhookRoutes(app: ApiApp, { store, config, log, now }: ApiContext): void {
  const registry = app.openAPIRegistry;
  registry.registerPath({
    method: 'get',
    path: PATH,
    summary: 'WhatsApp webhook verification handshake (echoes hub.challenge)',
    request: { query: z.object({ 'hub.mode': z.string(), 'hub.verify_token': z.string(), 'hub.challenge': z.string() }) },
    responses: { 200: { description: 'The challenge, as text/plain' }, 403: errorResponse('Wrong verify token or mode') },
  });
  registry.registerPath({
    method: 'post',
    path: PATH,
    summary: 'WhatsApp webhook: user_preferences stop/resume and 131050 send failures become marketing preferences of the business the metadata names',
    request: { body: jsonBody(WhatsAppWebhook) },
    responses: {
      200: { description: 'Recorded (idempotent): {recorded, pending (named only by a user id not yet mapped), applied}' },
      400: errorResponse('Signed, but not a WhatsApp webhook, an unknown business number, an unreadable item or a time beyond arrival (nothing stored)'),
      401: errorResponse('Missing or wrong X-Hub-Signature-256 (nothing stored)'),
    },
  });

  app.get(PATH, (c) => {
    if (config.webhookVerifyToken === undefined) throw notConfigured();
    const challenge = c.req.query('hub.challenge');
    const verified = c.req.query('hub.mode') === 'subscribe' && sameSecret(c.req.query('hub.verify_token') ?? '', config.webhookVerifyToken);
    if (!verified || challenge === undefined) throw new ApiFailure('forbidden', 'Webhook verification failed: wrong mode or verify token.');
    return c.text(challenge, 200);
  });

  app.post(PATH, async (c) => {
    if (config.webhookAppSecret === undefined) throw notConfigured();
    const arrivalMs = now().getTime();
    const raw = Buffer.from(await c.req.arrayBuffer());
    const signature = c.req.header('x-hub-signature-256');
    if (!signedByMeta(raw, signature, config.webhookAppSecret)) {
      log('webhook refused: bad or missing X-Hub-Signature-256');
      throw new ApiFailure('unauthorized', 'Missing or invalid X-Hub-Signature-256.');
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ApiFailure('invalid_request', 'The webhook body is not valid JSON.');
    }
    let changes;
    try {
      const webhook = parseOrFail(WhatsAppWebhook, json, 'WhatsApp webhook');
      // a business number unknown here may be one another instance has just registered: look again before refusing
      const named = webhook.entry.flatMap((entry) => entry.changes.flatMap(({ value }) => (value.metadata ? [value.metadata] : [])));
      let businesses = await store.businesses.current();
      if (!named.every((metadata) => businesses.byWhatsAppMetadata(metadata))) businesses = await store.businesses.reload();
      changes = changesIn(webhook, arrivalMs, config.clockToleranceMs, (metadata) => businesses.byWhatsAppMetadata(metadata));
    } catch (error) {
      log(`webhook refused: ${error instanceof Error ? error.message : 'unreadable'}`);
      throw error;
    }
    const outcome = await store.whatsapp.record(raw, signature!, changes);
    for (const change of changes.changes) {
      const who = change.user.phone === null ? 'a business-scoped user id' : maskPhone(change.user.phone);
      log(`whatsapp marketing ${change.value} for ${who} with ${change.businessId} (${change.source})`);
    }
    if (outcome.pending > 0) log(`whatsapp: ${outcome.pending} change(s) name only a user id not mapped to a number yet: stored, applied once mapped`);
    if (outcome.applied > 0) log(`whatsapp: ${outcome.applied} pending change(s) applied, their user id now mapped`);
    return c.json(outcome, 200);
  });
}
