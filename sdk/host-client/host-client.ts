import { readFile } from 'node:fs/promises';
import WebSocket from 'ws';
import { z } from 'zod';
import {
  Acknowledge,
  CompletionCode,
  HostApiCredentials,
  UpgradeRefusal,
  hostApiCommands,
  hostApiEvents,
  hostApiUnsolicited,
  type BeginSessionPayload,
  type HeadphonesPayload,
  type HostCommandName,
  type HostCompletion,
  type HostEvent,
  type HostEventName,
  type HostUnsolicited,
  type HostUnsolicitedName,
  type OfferOutcome,
  type OfferPayload,
  type OfferRecord,
  type StatusReport,
} from '../../shared/contract/host-api.ts';

/** Where the kiosk is: its credentials file (re-read at every connect), or the address and secret themselves. */
export type ConnectOptions = ({ credentialsFile: string } | HostApiCredentials) & {
  /** Keep trying this long while the kiosk is not up yet (no file, connection refused, another host connected). */
  retryForMs?: number;
};

/** The kiosk refused the connection itself: wrong secret, a browser, another host connected (HTTP status kept). */
export class HostApiRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HostApiRefused';
  }
}

/** A command did not succeed: the acknowledge refused it, or its completion code is not `success`. */
export class HostApiError extends Error {
  constructor(
    readonly code: CompletionCode | 'invalidMessage' | 'invalidRequestID' | 'tooManyRequests' | 'connectionLost',
    message: string,
  ) {
    super(message);
    this.name = 'HostApiError';
  }
}

/**
 * What `offer` resolves to: the kiosk's outcome, or `unknown` when the connection was lost before the completion
 * came. The kiosk then ends the step safely on its side and keeps the outcome: reconnect and `querySession`.
 */
export type OfferResult = OfferOutcome | { outcome: 'unknown'; sessionId: string | null; requestId: number; reason: 'connectionLost' };

type Pending = {
  name: HostCommandName;
  resolve(message: { completionCode: CompletionCode; errorDescription?: string; payload: unknown }): void;
  reject(error: Error): void;
  onEvent?: (event: HostEvent) => void;
};

const AnyIncoming = z.object({
  header: z.object({ name: z.string(), requestId: z.number().int().nullable(), type: z.string() }).passthrough(),
  payload: z.unknown(),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function credentialsOf(options: ConnectOptions): Promise<HostApiCredentials> {
  if (!('credentialsFile' in options)) return HostApiCredentials.parse({ url: options.url, secret: options.secret });
  return HostApiCredentials.parse(JSON.parse(await readFile(options.credentialsFile, 'utf8')));
}

function open(credentials: HostApiCredentials): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(credentials.url, { headers: { authorization: `Bearer ${credentials.secret}` }, maxPayload: 1024 * 1024 });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        const refusal = UpgradeRefusal.safeParse(parseJson(body));
        const error = refusal.success ? refusal.data.error : { code: 'unknown', message: `The kiosk answered ${response.statusCode}.` };
        reject(new HostApiRefused(response.statusCode ?? 0, error.code, error.message));
      });
    });
    socket.once('error', reject);
  });
}

const retryable = (error: unknown) =>
  (error instanceof HostApiRefused && error.status === 409) ||
  ['ENOENT', 'ECONNREFUSED', 'ECONNRESET'].includes((error as NodeJS.ErrnoException).code ?? '') ||
  error instanceof SyntaxError ||
  error instanceof z.ZodError;

/**
 * A host application's connection to the kiosk's opt-in step (docs/host-integration.md): begin a session, offer
 * the opt-in, hear what happens, get exactly one outcome. Every message is checked against the schemas in
 * shared/contract/host-api.ts, both ways.
 */
export class HostClient {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #unsolicited = new Set<(message: HostUnsolicited) => void>();
  readonly #closed = new Set<() => void>();
  #nextRequestId = 1;
  #sessionId: string | null = null;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data) => this.#receive(data.toString()));
    socket.on('close', () => this.#lost());
    socket.on('error', () => socket.terminate());
  }

  static async connect(options: ConnectOptions): Promise<HostClient> {
    const deadline = Date.now() + (options.retryForMs ?? 0);
    for (;;) {
      try {
        return new HostClient(await open(await credentialsOf(options)));
      } catch (error) {
        if (!retryable(error) || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** The session the last `beginSession` opened (kept after a disconnect, to `querySession` it). */
  get sessionId(): string | null {
    return this.#sessionId;
  }

  get connected(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  async status(): Promise<StatusReport> {
    return (await this.#succeed('Common.Status', {})) as StatusReport;
  }

  async beginSession(payload: BeginSessionPayload = {}): Promise<{ sessionId: string }> {
    const result = (await this.#succeed('OptIn.BeginSession', payload)) as { sessionId: string };
    this.#sessionId = result.sessionId;
    return result;
  }

  /**
   * Shows the opt-in step and resolves with its one outcome; never rejects, so the host's own flow always goes on.
   * `timeoutMs` is the step's deadline (XFS4IoT's header timeout): then it ends `timed_out`.
   */
  async offer(payload: OfferPayload & { timeoutMs?: number }, onEvent?: (event: HostEvent) => void): Promise<OfferResult> {
    const { timeoutMs, ...rest } = payload;
    const sessionId = this.#sessionId;
    const requestId = this.#nextRequestId;
    try {
      const completion = await this.#send('OptIn.Offer', rest, { timeout: timeoutMs, onEvent });
      return completion.payload as OfferOutcome;
    } catch (error) {
      if (error instanceof HostApiError && error.code === 'connectionLost') return { outcome: 'unknown', sessionId, requestId, reason: 'connectionLost' };
      const description = error instanceof Error ? error.message : String(error);
      return { outcome: 'failed', sessionId, flowId: payload.flowId, errorCode: 'internalError', errorDescription: description };
    }
  }

  /** The customer walked away: the step ends at once and its screen is wiped; the offer completes `cancelled`. */
  async cancel(requestIds?: number[]): Promise<void> {
    await this.#succeed('Common.Cancel', requestIds ? { requestIds } : {});
  }

  async endSession(): Promise<void> {
    await this.#succeed('OptIn.EndSession', {});
  }

  /** How the session's last offer ended; after a reconnect or a kiosk restart this is how the host learns it. */
  async querySession(sessionId: string): Promise<{ sessionId: string; active: boolean; lastOffer: OfferRecord | null }> {
    return (await this.#succeed('OptIn.QuerySession', { sessionId })) as { sessionId: string; active: boolean; lastOffer: OfferRecord | null };
  }

  /**
   * Forwards the terminal's headphone jack (XFS4IoT Auxiliaries `enhancedAudioSensor`) on each change: `present`
   * starts the kiosk's speech and offers the screen blank, `notPresent` stops it. Send it again after a reconnect:
   * the kiosk forgets the jack when the host application goes away.
   */
  async headphones(state: HeadphonesPayload['headphones']): Promise<void> {
    await this.#succeed('OptIn.Headphones', { headphones: state });
  }

  onUnsolicited(listener: (message: HostUnsolicited) => void): () => void {
    this.#unsolicited.add(listener);
    return () => this.#unsolicited.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.#closed.add(listener);
    return () => this.#closed.delete(listener);
  }

  close(): Promise<void> {
    if (this.#socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.close(1000);
    });
  }

  /** Any command, as raw as the API: resolves with its completion, whatever the completion code. */
  #send<N extends HostCommandName>(
    name: N,
    payload: unknown,
    options: { timeout?: number; onEvent?: (event: HostEvent) => void } = {},
  ): Promise<{ completionCode: CompletionCode; errorDescription?: string; payload: HostCompletion<N>['payload'] }> {
    const requestId = this.#nextRequestId++;
    if (this.#nextRequestId > 2_147_483_647) this.#nextRequestId = 1;
    const header = { name, requestId, type: 'command', version: '1.0', ...(options.timeout ? { timeout: options.timeout } : {}) };
    const message = hostApiCommands[name].command.parse({ header, payload });
    return new Promise((resolve, reject) => {
      if (!this.connected) {
        reject(new HostApiError('connectionLost', 'The connection to the kiosk is closed.'));
        return;
      }
      this.#pending.set(requestId, { name, resolve: resolve as Pending['resolve'], reject, onEvent: options.onEvent });
      this.#socket.send(JSON.stringify(message));
    });
  }

  async #succeed<N extends HostCommandName>(name: N, payload: unknown): Promise<HostCompletion<N>['payload']> {
    const completion = await this.#send(name, payload);
    if (completion.completionCode !== 'success') {
      throw new HostApiError(completion.completionCode, completion.errorDescription ?? `${name} failed: ${completion.completionCode}.`);
    }
    return completion.payload;
  }

  #receive(text: string): void {
    const parsedIncoming = AnyIncoming.safeParse(parseJson(text));
    if (!parsedIncoming.success) return; // not one of the kiosk's messages: nothing to correlate it with
    const incoming = parsedIncoming.data;
    const { header } = incoming;
    if (header.type === 'unsolicited') {
      const schema = hostApiUnsolicited[header.name as HostUnsolicitedName];
      const parsed = schema?.safeParse(incoming);
      if (parsed?.success) for (const listener of this.#unsolicited) listener(parsed.data as HostUnsolicited);
      return;
    }
    const pending = header.requestId === null ? undefined : this.#pending.get(header.requestId);
    if (!pending || header.requestId === null) return;
    const requestId = header.requestId;
    if (header.type === 'acknowledge') {
      const ack = Acknowledge.safeParse(incoming);
      if (ack.success && ack.data.header.status) {
        this.#pending.delete(requestId);
        pending.reject(new HostApiError(ack.data.header.status, ack.data.header.errorDescription ?? ack.data.header.status));
      }
      return;
    }
    if (header.type === 'event') {
      const parsed = hostApiEvents[header.name as HostEventName]?.safeParse(incoming);
      if (parsed?.success) pending.onEvent?.(parsed.data as HostEvent);
      return;
    }
    if (header.type === 'completion') {
      this.#pending.delete(requestId);
      const parsed = hostApiCommands[pending.name].completion.safeParse(incoming);
      if (!parsed.success) {
        const code = CompletionHeaderCode.safeParse(header);
        pending.reject(new HostApiError(code.success ? code.data.completionCode : 'internalError', `The kiosk's ${pending.name} completion is off-contract.`));
        return;
      }
      const { completionCode, errorDescription } = parsed.data.header;
      pending.resolve({ completionCode, errorDescription, payload: parsed.data.payload });
    }
  }

  #lost(): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const command of pending) command.reject(new HostApiError('connectionLost', 'The connection to the kiosk was lost.'));
    for (const listener of this.#closed) listener();
  }
}

const CompletionHeaderCode = z.object({ completionCode: CompletionCode });
