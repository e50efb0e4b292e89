import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { HostApiCredentials } from '../../../shared/contract/host-api.ts';
import type { startTestHost } from '../host/host-fixture.ts';

export type TestHost = Awaited<ReturnType<typeof startTestHost>>;

export function credentialsOf(host: TestHost): HostApiCredentials {
  return HostApiCredentials.parse(JSON.parse(readFileSync(host.hostApi.credentialsFile, 'utf8')));
}

type Message = { header: Record<string, unknown>; payload: Record<string, unknown> };

/**
 * A host application speaking the wire protocol by hand, to send what the host client never would. `next()`
 * answers the messages in the order they came.
 */
export async function rawHost(host: TestHost) {
  const { url, secret } = credentialsOf(host);
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${secret}` } });
  const inbox: Message[] = [];
  const unsolicited: Message[] = [];
  const waiting: Array<(message: Message) => void> = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Message;
    // Unsolicited events come whenever the kiosk's state changes; they are kept apart from the answers.
    if (message.header.type === 'unsolicited') return void unsolicited.push(message);
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  await once(socket, 'open');
  let nextId = 100;
  return {
    socket,
    unsolicited,
    send: (data: string | Buffer | object, options: { binary?: boolean } = {}) =>
      socket.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data), { binary: options.binary ?? false }),
    command: (name: string, payload: object = {}, header: object = {}) => {
      const requestId = nextId++;
      socket.send(JSON.stringify({ header: { name, requestId, type: 'command', version: '1.0', ...header }, payload }));
      return requestId;
    },
    next: (): Promise<Message> => {
      const queued = inbox.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiting.push(resolve));
    },
    close: async () => {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await once(socket, 'close');
    },
  };
}

/** The HTTP status with which the kiosk refuses a WebSocket upgrade carrying these headers (0 if it accepted). */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.close();
      resolve({ status: 0, body: '' });
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? -1, body }));
    });
    socket.once('error', reject);
  });
}
