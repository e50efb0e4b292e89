/**
 * The device's clock error as the server sees it: server time minus the midpoint of the request's send and receive
 * instants on the device clock (the NTP-style estimate, assuming the network delay is symmetric). Sent with every
 * batch so the server can order events captured while the device clock was wrong.
 */
export function measureClockOffset(sentAtMs: number, receivedAtMs: number, serverTime: string): number {
  const serverMs = Date.parse(serverTime);
  return Math.round(serverMs - (sentAtMs + receivedAtMs) / 2);
}
