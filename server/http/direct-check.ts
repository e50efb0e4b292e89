import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ConsentCheckRequest } from '../../shared/contract/sync.ts';
import { failureOf, invalidInput, type ApiContext } from '../app.ts';
import { answerCheck, CONSENT_READER_WHAT, consentReaderTokens } from '../routes/consent.ts';
import { ApiFailure, statusOf } from './api-failure.ts';
import { tokenCheck } from './bearer-auth.ts';
import { readIncoming } from './read-body.ts';

const PATH = '/v1/consent/check';
// @hono/zod-openapi's media-type gate: a route declared with a JSON body refuses any other type with 415
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const utf8 = new TextDecoder();

function isCheck(request: IncomingMessage): boolean {
  const url = request.url ?? '';
  return request.method === 'POST' && (url === PATH || url.startsWith(`${PATH}?`));
}

/** The body as the hono route reads it: JSON, or 415 for another type; no type and no body is an empty object. */
function jsonOf(request: IncomingMessage, body: Buffer): unknown {
  const type = request.headers['content-type'];
  if (type ? !JSON_CONTENT_TYPE.test(type) : body.length > 0) throw new ApiFailure('invalid_request', 'Unsupported Media Type', { status: 415 });
  if (!type) return {};
  try {
    return JSON.parse(utf8.decode(body));
  } catch {
    throw new ApiFailure('invalid_request', 'Malformed JSON in request body', { status: 400 });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/**
 * POST /v1/consent/check answered by Node's server itself, ahead of hono: the messaging system asks it before every
 * message, and hono's Fetch Request, context, middleware chain and Response cost several times the check itself
 * (docs/benchmarks.md, "The check ahead of hono"). Every other request goes on to `next` (hono), where the same
 * route stays for the OpenAPI document and in-process callers. The steps and their order are the route's — the
 * body limit, the reader token, the schema, then `answerCheck` — and so are the refusals (a test holds the two
 * paths to the same answers).
 */
export function withDirectCheck(context: Pick<ApiContext, 'store' | 'config' | 'log'>, next: RequestListener): RequestListener {
  const authorize = tokenCheck(consentReaderTokens(context.config), CONSENT_READER_WHAT);
  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const body = await readIncoming(request, context.config.bodyLimitBytes);
      authorize(request.headers.authorization);
      const parsed = ConsentCheckRequest.safeParse(jsonOf(request, body));
      if (!parsed.success) throw invalidInput('json', parsed.error);
      send(response, 200, await answerCheck(context.store, parsed.data));
    } catch (error) {
      const failure = failureOf(error, context);
      send(response, statusOf(failure), failure.toJSON());
    }
  }
  return (request, response) => {
    if (isCheck(request)) void answer(request, response);
    else next(request, response);
  };
}
