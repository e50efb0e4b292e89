import type { Context } from 'hono';
import { ApiFailure } from './api-failure.ts';

/** The request body as JSON; malformed JSON is the client's fault (400), anything else (an oversized body) propagates. */
export async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (error) {
    if (error instanceof SyntaxError) throw new ApiFailure('invalid_request', 'The request body is not valid JSON.');
    throw error;
  }
}
