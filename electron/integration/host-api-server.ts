import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import {
  AnyCommandHeader,
  HOST_API_PATH,
  HOST_API_VERSION,
  MAX_MESSAGE_BYTES,
  RequestId,
  hostApiCommands,
  isHostCommandName,
  type AcknowledgeHeader,
  type AnyHostCommand,
} from '../../shared/contract/host-api.ts';
import { tokensMatch } from '../host/loopback-server.ts';
import type { HostConnection } from './host-connection.ts';
import type { StepCoordinator } from './step-coordinator.ts';

/** Frames beyond this are not even buffered: the socket closes with 1009 (message too big). */
const HARD_FRAME_LIMIT = 4 * MAX_MESSAGE_BYTES;

export type HostApiServerOptions = {
  coordinator: Pick<StepCoordinator, 'attach' | 'detach' | 'execute'>;
  secret: string;
  port?: number;
  /** How often the kiosk pings the host; a host that misses a pong is disconnected (its step ends safely). */
  heartbeatMs?: number;
  log?: (line: string) => void;
};

export type HostApiServer = { url: string; port: number; close(): Promise<void> };

const Envelope = z.object({ header: AnyCommandHeader, payload: z.record(z.string(), z.unknown()) }).strict();

/** A command name sent back in an answer: cut to the schema's length and never an ill-formed string (I-JSON). */
function echoName(name: string): string {
  return name.slice(0, 64).toWellFormed();
}

type Refusal = { status: number; reason: string; code: string; message: string };

function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  const body = JSON.stringify({ ok: false, error: { code: refusal.code, message: refusal.message } });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The Host Integration API: a WebSocket on 127.0.0.1 for exactly one host application at a time. The upgrade is
 * refused to a wrong Host header (DNS rebinding), to anything with an Origin header (a browser page), to a caller
 * without the per-install secret, and while another host is connected. Every message after that is parsed with its
 * schema from shared/contract/host-api.ts; whatever is wrong with one gets a typed answer and changes nothing.
 */
export async function startHostApiServer(options: HostApiServerOptions): Promise<HostApiServer> {
  const log = options.log ?? console.error;
  const wss = new WebSocketServer({ noServer: true, maxPayload: HARD_FRAME_LIMIT, clientTracking: false });
  let current: { socket: WebSocket; connection: HostConnection } | null = null;
  let nextConnectionId = 1;
  let port = 0;

  const http = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket' });
    response.end(JSON.stringify({ ok: false, error: { code: 'invalid_request', message: 'The host API speaks WebSocket only.' } }));
  });

  const check = (request: IncomingMessage): Refusal | null => {
    const host = request.headers.host;
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return { status: 421, reason: 'Misdirected Request', code: 'forbidden', message: 'The host API answers only requests addressed to the loopback interface.' };
    }
    if (request.headers.origin !== undefined) {
      return { status: 403, reason: 'Forbidden', code: 'forbidden', message: 'Browser pages may not connect to the host API.' };
    }
    if (new URL(request.url ?? '/', 'ws://localhost').pathname !== HOST_API_PATH) {
      return { status: 404, reason: 'Not Found', code: 'not_found', message: `The host API is at ${HOST_API_PATH}.` };
    }
    if (!tokensMatch(request.headers.authorization?.replace(/^Bearer /, ''), options.secret)) {
      return { status: 401, reason: 'Unauthorized', code: 'unauthorized', message: 'The host API secret is missing or wrong.' };
    }
    if (current) {
      return { status: 409, reason: 'Conflict', code: 'forbidden', message: 'Another host application is connected to this kiosk.' };
    }
    return null;
  };

  http.on('upgrade', (request, socket, head) => {
    const refusal = check(request);
    if (refusal) {
      log(`host api: refused a connection (${refusal.status})`);
      refuseUpgrade(socket, refusal);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws));
  });

  function accept(socket: WebSocket): void {
    const inFlight = new Set<number>();
    const send = (message: unknown) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const connection: HostConnection = {
      id: nextConnectionId++,
      complete: (name, requestId, completionCode, payload, errorDescription) => {
        inFlight.delete(requestId);
        const header = { name, requestId, type: 'completion', version: HOST_API_VERSION, completionCode };
        send({ header: errorDescription ? { ...header, errorDescription } : header, payload });
      },
      event: (name, requestId, payload) => send({ header: { name, requestId, type: 'event', version: HOST_API_VERSION }, payload }),
      unsolicited: (name, payload) => send({ header: { name, requestId: null, type: 'unsolicited', version: HOST_API_VERSION }, payload }),
    };
    const acknowledge = (header: Omit<z.infer<typeof AcknowledgeHeader>, 'type' | 'version'>) =>
      send({ header: { ...header, type: 'acknowledge', version: HOST_API_VERSION }, payload: {} });
    const reject = (name: string, requestId: number | null, status: 'invalidMessage' | 'invalidRequestID', errorDescription: string) =>
      acknowledge({ name: echoName(name), requestId, status, errorDescription });

    current = { socket, connection };
    options.coordinator.attach(connection);

    socket.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) return reject('', null, 'invalidMessage', 'Messages must be JSON text, not binary frames.');
      if (bytes.length > MAX_MESSAGE_BYTES) return reject('', null, 'invalidMessage', `Messages may be at most ${MAX_MESSAGE_BYTES} bytes.`);
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch {
        return reject('', null, 'invalidMessage', 'The message is not valid JSON.');
      }
      const envelope = Envelope.safeParse(json);
      if (!envelope.success) {
        const header = (json as { header?: { name?: unknown; requestId?: unknown } } | null)?.header;
        const requestId = RequestId.safeParse(header?.requestId);
        const issue = envelope.error.issues[0];
        return reject(
          typeof header?.name === 'string' ? header.name : '',
          requestId.success ? requestId.data : null,
          'invalidMessage',
          `Not a command message: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'malformed'}.`,
        );
      }
      const { name, requestId } = envelope.data.header;
      if (inFlight.has(requestId)) return reject(name, requestId, 'invalidRequestID', `Request ${requestId} is already in flight.`);
      inFlight.add(requestId);
      acknowledge({ name, requestId });
      if (!isHostCommandName(name)) {
        connection.complete(name as 'Common.Cancel', requestId, 'unsupportedCommand', {}, `The kiosk has no command "${echoName(name)}".`);
        return;
      }
      const command = hostApiCommands[name].command.safeParse(json);
      if (!command.success) {
        const issue = command.error.issues[0];
        const description = `Invalid ${name}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'malformed'}`.slice(0, 500);
        if (name === 'OptIn.Offer') {
          const flowId = z.object({ flowId: z.string() }).safeParse(envelope.data.payload);
          connection.complete('OptIn.Offer', requestId, 'invalidData', {
            outcome: 'failed',
            sessionId: null,
            flowId: flowId.success && /^[a-z0-9][a-z0-9_.-]{0,63}$/.test(flowId.data.flowId) ? flowId.data.flowId : null,
            errorCode: 'invalidData',
            errorDescription: description,
          }, description);
        } else {
          connection.complete(name as 'Common.Cancel', requestId, 'invalidData', {}, description);
        }
        return;
      }
      options.coordinator.execute(connection, command.data as AnyHostCommand);
    });

    let alive = true;
    socket.on('pong', () => {
      alive = true;
    });
    const heartbeat = setInterval(() => {
      if (!alive) {
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, options.heartbeatMs ?? 10_000);
    heartbeat.unref();

    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      clearInterval(heartbeat);
      if (current?.connection === connection) current = null;
      options.coordinator.detach(connection);
    });
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  return {
    port,
    url: `ws://127.0.0.1:${port}${HOST_API_PATH}`,
    close: async () => {
      current?.socket.terminate();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      wss.close();
    },
  };
}
