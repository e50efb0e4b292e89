import {
  HostClient,
  type BeginSessionPayload,
  type HostEvent,
  type OfferOutcome,
  type OfferPayload,
  type OfferResult,
} from '../../sdk/host-client/index.ts';

/** How long a host waits for the kiosk to come back before it gives up on learning an interrupted offer's end. */
const RECONNECT_WAIT_MS = 15_000;

/** What the host's own flow goes on with: the kiosk's outcome, or why the step was not offered at all. */
export type OptInAnswer = OfferResult | { outcome: 'not_offered'; reason: string };

export type KioskLink = {
  readonly client: HostClient | null;
  /** The connected client, waiting up to `ms` for one. */
  connected(ms: number): Promise<HostClient | null>;
  close(): Promise<void>;
};

/**
 * An ATM or check-in application keeps one connection to the kiosk and reconnects when it drops (the kiosk
 * restarted, say). Whatever state the kiosk is in, the host's transaction never waits on it for long.
 */
export function keepKioskConnected(credentialsFile: string, log: (line: string) => void): KioskLink {
  let client: HostClient | null = null;
  let closed = false;
  const waiting = new Set<(client: HostClient) => void>();

  const connect = async () => {
    while (!closed) {
      try {
        const next = await HostClient.connect({ credentialsFile });
        if (closed) return void (await next.close());
        client = next;
        log('connected to the kiosk');
        for (const wake of waiting) wake(next);
        waiting.clear();
        next.onClose(() => {
          client = null;
          if (!closed) {
            log('the kiosk connection closed; reconnecting');
            void connect();
          }
        });
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  void connect();

  return {
    get client() {
      return client;
    },
    connected: (ms) =>
      client
        ? Promise.resolve(client)
        : new Promise((resolve) => {
            const timer = setTimeout(() => {
              waiting.delete(resolve);
              resolve(null);
            }, ms);
            waiting.add((next) => {
              clearTimeout(timer);
              resolve(next);
            });
          }),
    close: async () => {
      closed = true;
      await client?.close();
    },
  };
}

/**
 * One customer's session with the kiosk, as a host application runs it: begun when the customer is known, one
 * offer at the right point of the transaction, ended when the customer leaves. An offer interrupted by a lost
 * connection is not left unknown: after the reconnect the host asks the kiosk how it ended.
 */
export class OptInSession {
  readonly #link: KioskLink;
  readonly #sessionId: string | null;
  readonly #unavailable: string | null;

  private constructor(link: KioskLink, sessionId: string | null, unavailable: string | null) {
    this.#link = link;
    this.#sessionId = sessionId;
    this.#unavailable = unavailable;
  }

  static async begin(link: KioskLink, payload: BeginSessionPayload): Promise<OptInSession> {
    const client = link.client;
    if (!client) return new OptInSession(link, null, 'the kiosk is not connected');
    try {
      const { sessionId } = await client.beginSession(payload);
      return new OptInSession(link, sessionId, null);
    } catch (error) {
      return new OptInSession(link, null, error instanceof Error ? error.message : String(error));
    }
  }

  async offer(payload: OfferPayload & { timeoutMs?: number }, onEvent?: (event: HostEvent) => void): Promise<OptInAnswer> {
    const client = this.#link.client;
    if (!this.#sessionId || !client) return { outcome: 'not_offered', reason: this.#unavailable ?? 'the kiosk is not connected' };
    const status = await client.status().catch(() => null);
    if (!status) return { outcome: 'not_offered', reason: 'the kiosk did not answer' };
    const result = await client.offer(payload, onEvent);
    return result.outcome === 'unknown' ? this.#learnEnd(result) : result;
  }

  /** The customer left: whatever of the step is on screen goes, and the offer completes `cancelled`. */
  async cancel(): Promise<void> {
    await this.#link.client?.cancel().catch(() => undefined);
  }

  async end(): Promise<void> {
    if (this.#sessionId) await this.#link.client?.endSession().catch(() => undefined);
  }

  async #learnEnd(unknown: OptInAnswer & { outcome: 'unknown' }): Promise<OptInAnswer> {
    const client = await this.#link.connected(RECONNECT_WAIT_MS);
    if (!client || !this.#sessionId) return unknown;
    const record = await client.querySession(this.#sessionId).catch(() => null);
    return record?.lastOffer?.requestId === unknown.requestId ? (record.lastOffer.result as OfferOutcome) : unknown;
  }
}

/** Offers the step in `session` and reports each event and the outcome as a line (no personal data in either). */
export async function offerAndReport(
  session: OptInSession | null,
  offer: OfferPayload & { timeoutMs?: number },
  report: (line: object) => void,
): Promise<OptInAnswer> {
  const onEvent = (event: HostEvent) => report({ event: event.header.name, payload: event.payload });
  const answer: OptInAnswer = session ? await session.offer(offer, onEvent) : { outcome: 'not_offered', reason: 'no session' };
  report({ completion: answer });
  return answer;
}

/**
 * The lines for the host's receipt or screen about the customer's WhatsApp choice: what they accepted, what they
 * declined beside it, and how to stop, from the kiosk's receipt (in the customer's language).
 */
export function describeAnswer(answer: OptInAnswer, labelOf: (purposeId: string) => string): string {
  switch (answer.outcome) {
    case 'accepted':
      return [
        `WhatsApp messages on: ${answer.consents.map((consent) => labelOf(consent.purposeId)).join(', ')}`,
        ...(answer.declined ? [`WhatsApp messages declined: ${answer.declined.map((purpose) => labelOf(purpose.purposeId)).join(', ')}`] : []),
        ...(answer.receipt ? [`To stop: ${answer.receipt.howToStop}`] : []),
      ].join('\n');
    case 'declined':
      return 'WhatsApp messages: no change (declined)';
    case 'timed_out':
      return 'WhatsApp messages: no change (not answered in time)';
    case 'cancelled':
      return 'WhatsApp messages: no change (cancelled)';
    case 'failed':
      return `WhatsApp messages: not recorded (${answer.errorCode})`;
    case 'unknown':
      return 'WhatsApp messages: the kiosk is checking your choice';
    case 'not_offered':
      return `WhatsApp messages: not offered (${answer.reason})`;
  }
}
