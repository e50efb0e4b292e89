import { randomBytes } from 'node:crypto';
import type { FlowSession } from '../../shared/contract/kiosk-api.ts';
import type { Flow } from '../../shared/contract/profile.ts';
import type { VerifiedSubjectAccepted, VerifiedSubjectPush } from '../../shared/contract/host-integration.ts';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { maskPhone } from '../../shared/phone.ts';

type VerifiedSubject = { phone: string; customerRef?: string };
type Pushed = VerifiedSubject & { expiresAt: number };
type Current = { flowId: string; handle: string; subject: VerifiedSubject; expiresAt: number };

export type FlowSessionsOptions = {
  now?: () => number;
  /** How long a started flow may take to reach its opt-in step before its handle lapses. */
  handleTtlMs?: number;
};

/**
 * The one person at the terminal. A verified number never reaches the renderer: it gets an opaque random handle,
 * valid for the current flow session only, once, and for a limited time. Starting any flow ends the previous
 * session, so a handle cannot outlive the customer it was issued for.
 */
export class FlowSessions {
  readonly #now: () => number;
  readonly #handleTtlMs: number;
  readonly #pushed = new Map<string, Pushed>();
  #current: Current | null = null;

  constructor(options: FlowSessionsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#handleTtlMs = options.handleTtlMs ?? 15 * 60_000;
  }

  /** The host integration's number for the transaction now running on `flowId`. */
  push(push: VerifiedSubjectPush): VerifiedSubjectAccepted {
    const expiresAt = this.#now() + push.ttlSeconds * 1000;
    this.#pushed.set(push.flowId, { phone: push.phone, customerRef: push.customerRef, expiresAt });
    return { flowId: push.flowId, masked: maskPhone(push.phone), expiresAt: new Date(expiresAt).toISOString() };
  }

  clearPushed(flowId: string): void {
    this.#pushed.delete(flowId);
  }

  start(flow: Flow): FlowSession {
    this.#current = null;
    const subject = this.#subjectFor(flow);
    if (!subject) return { flowId: flow.id, verifiedSubject: null };
    const handle = randomBytes(24).toString('base64url');
    this.#current = { flowId: flow.id, handle, subject, expiresAt: this.#now() + this.#handleTtlMs };
    return { flowId: flow.id, verifiedSubject: { handle, masked: maskPhone(subject.phone) } };
  }

  /** The number behind `handle`, if it was issued for this flow session and is still valid. */
  resolve(handle: string, flowId: string): VerifiedSubject {
    const current = this.#current;
    if (!current || current.handle !== handle || current.flowId !== flowId || current.expiresAt <= this.#now()) {
      throw new KioskFailure(
        'not_found',
        'The verified number for this transaction is no longer available. Please type your number instead.',
      );
    }
    return current.subject;
  }

  /** The session ended (consent recorded, declined or timed out): forget the number. */
  end(flowId: string): void {
    if (this.#current?.flowId === flowId) this.#current = null;
  }

  #subjectFor(flow: Flow): VerifiedSubject | null {
    const source = flow.verifiedSubject;
    if (source.kind === 'simulated') return { phone: source.phone, customerRef: source.customerRef };
    if (source.kind === 'none') return null;
    const pushed = this.#pushed.get(flow.id);
    this.#pushed.delete(flow.id);
    if (!pushed || pushed.expiresAt <= this.#now()) return null;
    return { phone: pushed.phone, customerRef: pushed.customerRef };
  }
}
