import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { GENESIS_HASH, type ConsentEvent, type ConsentEventBody, type SubjectOpening } from '../../../shared/contract/consent-event.ts';
import type { EnrolmentRequest, IngestItem } from '../../../shared/contract/sync.ts';
import type { ConsentKind, PurposeCategory } from '../../../shared/contract/primitives.ts';
import { canonicalJson } from '../../../shared/event-bytes.ts';

export interface EventOptions {
  kind?: ConsentKind;
  phone?: string;
  purpose?: { id: string; category: PurposeCategory };
  /** Device clock at capture. */
  capturedAt?: Date;
}

const sha256Hex = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * A stand-in for a kiosk's ledger in server tests: an Ed25519 device key and a hash chain built with node:crypto
 * exactly as the event format prescribes (the real ledger lives in electron/, which the server must not import).
 */
export class TestKiosk {
  readonly deviceId = uuidv4();
  readonly publicKey: string;
  readonly keyId: string;
  private readonly privateKey: KeyObject;
  private seq = 0;
  private prev = GENESIS_HASH;
  private readonly hashes: string[] = [];

  constructor() {
    const pair = generateKeyPairSync('ed25519');
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey.export({ format: 'jwk' }).x as string;
    this.keyId = sha256Hex(Buffer.from(this.publicKey, 'base64url')).slice(0, 32);
  }

  enrolmentRequest(token: string): EnrolmentRequest {
    return { token, deviceId: this.deviceId, keyId: this.keyId, publicKey: this.publicKey, appVersion: '1.0.0' };
  }

  /** The next event in this kiosk's chain, signed, with its subject opening. */
  event(options: EventOptions = {}): IngestItem {
    const opening: SubjectOpening = { phone: options.phone ?? '+819012345678', salt: randomBytes(16).toString('base64url') };
    const body: ConsentEventBody = {
      v: 1,
      id: uuidv7(),
      seq: this.seq + 1,
      prev: this.prev,
      device: { id: this.deviceId, keyId: this.keyId },
      kind: options.kind ?? 'opt_in',
      subject: { source: 'self_entered', commitment: sha256Hex(canonicalJson(opening)) },
      business: { name: 'Go2Shop', whatsappNumber: '+38512345678' },
      purpose: options.purpose ?? { id: 'balance-alerts', category: 'utility' },
      notice: { id: 'atm-balance', version: '1', locale: 'en', text: 'Get balance alerts from Go2Shop on WhatsApp. Opt out at any time.' },
      channel: 'atm',
      entryPoint: 'atm.after_transaction',
      flowId: 'atm-main',
      capturedAt: (options.capturedAt ?? new Date()).toISOString(),
      clock: { knownGood: true },
    };
    const bytes = Buffer.from(canonicalJson(body));
    this.seq = body.seq;
    this.prev = sha256Hex(bytes);
    this.hashes[body.seq - 1] = this.prev;
    const event: ConsentEvent = { ...body, sig: sign(null, bytes, this.privateKey).toString('base64url') };
    return { event, subject: opening };
  }

  /** Continues the chain after event #`seq` again, as a tampered or restored device would: the next events fork it. */
  rewind(seq: number): void {
    this.seq = seq;
    this.prev = seq === 0 ? GENESIS_HASH : this.hashes[seq - 1]!;
  }

  /** `count` consecutive events. */
  events(count: number, options: EventOptions = {}): IngestItem[] {
    return Array.from({ length: count }, () => this.event(options));
  }
}
