import type { z } from 'zod';
import type { ConsoleSession } from '../shared/contract/console.ts';
import type { KioskError } from '../shared/contract/errors.ts';

/** A refusal from the console API, with the sentence it gave (every failure is a KioskError body). */
export class ConsoleApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** The session's CSRF token goes back with every request that changes something. */
export function rememberSession(session: ConsoleSession | null): void {
  csrfToken = session?.csrfToken ?? null;
}

async function failureOf(response: Response): Promise<ConsoleApiError> {
  const body = (await response.json().catch(() => null)) as KioskError | null;
  return new ConsoleApiError(response.status, body?.message ?? `The console API answered ${response.status}.`);
}

async function request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
  }
  const response = await fetch(`/console/api${path}`, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!response.ok) throw await failureOf(response);
  return response;
}

/** Parsed with the shared schema: the page trusts the API's answers no more than the API trusts the page. */
export async function getJson<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  return schema.parse(await (await request('GET', path)).json());
}

export async function postJson<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.output<S>> {
  return schema.parse(await (await request('POST', path, body)).json());
}

/** A file the API answers a POST with, handed to the browser as a download. */
export async function postForFile(path: string, body: unknown, filename: string): Promise<void> {
  const blob = await (await request('POST', path, body)).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
