import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export type LoopbackListener = {
  port: number;
  origin: string;
  /** Hands every request, including those that arrived before this call, to `listener`. */
  answerWith(listener: RequestListener): void;
  close(): Promise<void>;
};

/**
 * Listens on 127.0.0.1 only (nothing else on the network can reach it) before whatever answers is loaded, so a
 * browser can be started on the address at once. Requests that arrive in between wait instead of being refused.
 * Only node:http here: the point is to be listening before the rest of the host has been read from disk.
 */
export function listenOnLoopback(port = 0): Promise<LoopbackListener> {
  let answer: (listener: RequestListener) => void = () => {};
  const answering = new Promise<RequestListener>((resolve) => {
    answer = resolve;
  });
  const server = createServer((request, response) => void answering.then((listener) => listener(request, response)));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        port: bound,
        origin: `http://127.0.0.1:${bound}`,
        answerWith: answer,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
