import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { SignedApiStatement } from '../../../shared/contract/api-statement.ts';
import type { ChainEvent, ChainEventBody, ServiceEventBody } from '../../../shared/contract/chain-event.ts';
import { GENESIS_HASH, type SubjectOpening } from '../../../shared/contract/consent-event.ts';
import type { ConsentKind, Placement, PurposeCategory } from '../../../shared/contract/primitives.ts';
import type { Business } from '../../../shared/contract/profile.ts';
import type { EnrolmentRequest, IngestItem } from '../../../shared/contract/sync.ts';
import { canonicalJson } from '../../../shared/event-bytes.ts';

/** Time as the test decides it: the API (started with `now: clock.date`) and the kiosks read the same one. */
export class TestClock {
  constructor(public nowMs = Date.parse('2026-03-01T09:00:00.000Z')) {}
  readonly date = (): Date => new Date(this.nowMs);
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** The real clock, for tests that need no control over time. */
const REAL_CLOCK = { get nowMs() {
  return Date.now();
} };

export const SAKURA_BANK: Business = { id: 'sakura-bank', name: 'Sakura Bank', whatsappNumber: '+81312345678' };
export const SORA_AIRLINES: Business = { id: 'sora-airlines', name: 'Sora Airlines', whatsappNumber: '+81362345678' };

export interface EventOptions {
  kind?: ConsentKind;
  phone?: string;
  customerRef?: string;
  purpose?: { id: string; category: PurposeCategory };
  business?: Business;
  /** What the device's wall clock claims, overriding its reading now. */
  capturedAt?: Date;
  /** The subject opening of an earlier event of the same capture (the events of one capture share one). */
  opening?: SubjectOpening;
  /** The sentence shown, instead of the fixed English one. */
  noticeText?: string;
}

const sha256Hex = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');
const keyIdOf = (publicKey: string): string => sha256Hex(Buffer.from(publicKey, 'base64url')).slice(0, 32);

function newKey(): { privateKey: KeyObject; publicKey: string; keyId: string } {
  const pair = generateKeyPairSync('ed25519');
  const publicKey = pair.publicKey.export({ format: 'jwk' }).x as string;
  return { privateKey: pair.privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/**
 * A stand-in for a kiosk's ledger in server tests: an Ed25519 device key and a hash chain built with node:crypto
 * exactly as the event format prescribes (the real ledger lives in electron/, which the server must not import),
 * with a device clock the test can set wrong, jump, or reboot, clock observations of real GET /v1/devices/head
 * answers, and key rotation.
 */
export class TestKiosk {
  readonly deviceId = uuidv4();
  private key = newKey();
  private seq = 0;
  private prev = GENESIS_HASH;
  private readonly hashes: string[] = [];
  private readonly clock: { nowMs: number };
  private bootId = randomUUID();
  private bootAtMs: number;
  /** Device wall clock minus true time. */
  wallOffsetMs = 0;
  knownGood = true;

  constructor(options: { clock?: { nowMs: number } } = {}) {
    this.clock = options.clock ?? REAL_CLOCK;
    this.bootAtMs = this.clock.nowMs - 60_000;
  }

  get keyId(): string {
    return this.key.keyId;
  }

  get publicKey(): string {
    return this.key.publicKey;
  }

  get lastSeq(): number {
    return this.seq;
  }

  enrolmentRequest(token: string, placement?: Placement): EnrolmentRequest {
    return { token, deviceId: this.deviceId, keyId: this.keyId, publicKey: this.publicKey, appVersion: '1.0.0', ...(placement ? { placement } : {}) };
  }

  /** A fresh boot: a new boot id, the monotonic clock from zero; the wall clock keeps whatever it said. */
  reboot(): void {
    this.bootId = randomUUID();
    this.bootAtMs = this.clock.nowMs;
  }

  private reading(): { at: string; monoMs: number } {
    return { at: new Date(this.clock.nowMs + this.wallOffsetMs).toISOString(), monoMs: this.clock.nowMs - this.bootAtMs };
  }

  private deviceClock() {
    return { knownGood: this.knownGood, bootId: this.bootId, monoMs: this.clock.nowMs - this.bootAtMs };
  }

  private link() {
    return { id: uuidv7(), seq: this.seq + 1, prev: this.prev, device: { id: this.deviceId, keyId: this.keyId } };
  }

  private signed(body: ChainEventBody, subject: SubjectOpening | null): IngestItem {
    const bytes = Buffer.from(canonicalJson(body));
    this.seq = body.seq;
    this.prev = sha256Hex(bytes);
    this.hashes[body.seq - 1] = this.prev;
    const event = { ...body, sig: sign(null, bytes, this.key.privateKey).toString('base64url') } as ChainEvent;
    return { event, subject };
  }

  private opening(options: EventOptions): SubjectOpening {
    if (options.opening) return options.opening;
    return {
      phone: options.phone ?? '+819012345678',
      ...(options.customerRef ? { customerRef: options.customerRef } : {}),
      salt: randomBytes(16).toString('base64url'),
    };
  }

  private terms(options: EventOptions) {
    return {
      kind: options.kind ?? 'opt_in',
      purpose: options.purpose ?? { id: 'balance-alerts', category: 'utility' as const },
      notice: { id: 'atm-balance', version: '1', locale: 'en' as const, text: options.noticeText ?? 'Get balance alerts on WhatsApp. Opt out at any time.' },
      channel: 'atm',
      entryPoint: 'atm.after_transaction',
      flowId: 'atm-main',
      capturedAt: (options.capturedAt ?? new Date(this.clock.nowMs + this.wallOffsetMs)).toISOString(),
    };
  }

  /** The next consent in this kiosk's chain (version 2), signed, with its subject opening. */
  event(options: EventOptions = {}): IngestItem {
    const opening = this.opening(options);
    return this.signed(
      {
        v: 2,
        type: 'consent',
        ...this.link(),
        ...this.terms(options),
        subject: { source: 'self_entered', commitment: sha256Hex(canonicalJson(opening)) },
        business: options.business ?? SAKURA_BANK,
        clock: this.deviceClock(),
      },
      opening,
    );
  }

  /** A version 1 consent, as kiosks before the trust model signed them: no business id, no boot, no monotonic time. */
  legacyEvent(options: EventOptions = {}): IngestItem {
    const opening = this.opening(options);
    const { id: _id, ...business } = options.business ?? SAKURA_BANK;
    return this.signed(
      {
        v: 1,
        ...this.link(),
        ...this.terms(options),
        subject: { source: 'self_entered', commitment: sha256Hex(canonicalJson(opening)) },
        business,
        clock: { knownGood: this.knownGood },
      },
      opening,
    );
  }

  /** `count` consecutive consents. */
  events(count: number, options: EventOptions = {}): IngestItem[] {
    return Array.from({ length: count }, () => this.event(options));
  }

  /** A clock observation of a statement the API signed, read between the device readings `sent` and `received`. */
  observation(statement: SignedApiStatement, sent = this.reading(), received = this.reading()): IngestItem {
    return this.signed(
      { v: 2, type: 'clock_observation', ...this.link(), capturedAt: received.at, clock: this.deviceClock(), statement, sent, received },
      null,
    );
  }

  /** Asks the API for its signed head statement (GET /v1/devices/head) and records it as the next event, as a kiosk does each sync. */
  async observe(apiUrl: string, credential: string): Promise<IngestItem> {
    const sent = this.reading();
    const response = await fetch(`${apiUrl}/v1/devices/head`, { headers: { authorization: `Bearer ${credential}` } });
    if (response.status !== 200) throw new Error(`head statement refused: ${response.status} ${await response.text()}`);
    const statement = SignedApiStatement.parse(await response.json());
    return this.observation(statement, sent, this.reading());
  }

  /** A technician's action at the terminal (a service event): a test capture unless said otherwise. */
  service(action: ServiceEventBody['action'] = 'test_capture'): IngestItem {
    return this.signed(
      {
        v: 2,
        type: 'service',
        ...this.link(),
        capturedAt: this.reading().at,
        clock: this.deviceClock(),
        session: 'tech-session-1',
        technician: 'field-tech-1',
        action,
        outcome: 'done',
        detail: 'Test capture from the diagnostics screen.',
      },
      null,
    );
  }

  /** A key rotation signed by the current key; every later event is signed by the next one (`onto`'s key, for a kiosk that tries to take another's). */
  rotate(reason: 'scheduled' | 'suspected_compromise' | 'technician' = 'scheduled', onto?: TestKiosk): IngestItem {
    const next = onto ? onto.key : newKey();
    const item = this.signed(
      {
        v: 2,
        type: 'key_rotation',
        ...this.link(),
        capturedAt: this.reading().at,
        clock: this.deviceClock(),
        next: { keyId: next.keyId, publicKey: next.publicKey },
        reason,
      },
      null,
    );
    this.key = next;
    return item;
  }

  /** Signs from now on with a key the API never saw (a device whose key was swapped). */
  swapKey(): void {
    this.key = newKey();
  }

  /** Continues the chain after event #`seq` again, as a tampered or restored device would: the next events fork it. */
  rewind(seq: number): void {
    this.seq = seq;
    this.prev = seq === 0 ? GENESIS_HASH : this.hashes[seq - 1]!;
  }
}
