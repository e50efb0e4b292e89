import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import { ApiFailure } from './api-failure.ts';

export const bodyTooLarge = (limit: number): ApiFailure =>
  new ApiFailure('invalid_request', `The request body is larger than ${limit} bytes.`, { status: 413 });

/**
 * The request body's bytes, at most `limit` of them (413 beyond). On Node (@hono/node-server) they are read straight
 * from the request stream: the Fetch body would copy every chunk through a web stream first, which at ingest's
 * half a megabyte per batch is a measurable share of the API's time. A route using this must be left out of the
 * app-wide body limit, which would start that web stream.
 */
export async function readBody(c: Context, limit: number): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming) return readIncoming(incoming, limit);
  if (Number(c.req.header('content-length') ?? 0) > limit) throw bodyTooLarge(limit);
  const bytes = Buffer.from(await c.req.arrayBuffer());
  if (bytes.length > limit) throw bodyTooLarge(limit);
  return bytes;
}

/** The same straight from Node's request, for a route Node's server answers without hono (http/direct-check.ts). */
export async function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(incoming.headers['content-length'] ?? 0) > limit) throw bodyTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw bodyTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
