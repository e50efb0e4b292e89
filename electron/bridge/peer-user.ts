import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/**
 * The user id owning the client end of a loopback TCP connection, read from the kernel's socket table
 * (/proc/net/tcp and tcp6: the client's own row has the client's port as its local port, the server's as its
 * remote one). What SO_PEERCRED is for Unix sockets. `undefined` where there is no such table (not Linux).
 */
export function loopbackPeerUid(socket: Pick<Socket, 'localPort' | 'remotePort'>): number | null | undefined {
  const { localPort, remotePort } = socket;
  if (localPort === undefined || remotePort === undefined) return null;
  const wanted = `:${hexPort(remotePort)} `;
  const towards = `:${hexPort(localPort)} `;
  let found = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    found = true;
    for (const line of text.split('\n')) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid …
      const columns = line.trim().split(/\s+/);
      if (columns.length < 8 || !`${columns[1]} `.endsWith(wanted) || !`${columns[2]} `.endsWith(towards)) continue;
      return Number(columns[7]);
    }
  }
  return found ? null : undefined;
}

const hexPort = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
