import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import type { SignedApiStatement } from '../../../shared/contract/api-statement.ts';
import { canonicalApiStatement, canonicalJson } from '../../../shared/event-bytes.ts';
import type { ConsentDraft } from '../../../shared/contract/capture.ts';
import type { ChainEvent } from '../../../shared/contract/chain-event.ts';
import type { ConsentEventBody } from '../../../shared/contract/consent-event.ts';
import { terms } from '../../fixtures/bank-terms.ts';
import { renderConsentSentence } from '../../../shared/wording.ts';
import { systemClock, type LedgerClock } from '../../../electron/ledger/clock.ts';
import { openFileKeyVault } from '../../../electron/ledger/file-key-vault.ts';
import type { KeyVault } from '../../../electron/ledger/key-vault.ts';
import { openLedger, type Ledger } from '../../../electron/ledger/ledger.ts';
import { migrate } from '../../../electron/ledger/migrate.ts';
import { ledgerPath } from '../../../electron/ledger/open-database.ts';
import { newOpening, sealOpening } from '../../../electron/ledger/personal-data.ts';

export { terms };

/** The national-form digits of the test subject's number, searched for in the database files. */
export const PHONE_DIGITS = '9012345678';

/** A valid ATM opt-in to balance alerts and payment notices, with the sentence exactly as rendered. */
export function draft(overrides: Partial<ConsentDraft> = {}): ConsentDraft {
  const kind = overrides.kind ?? 'opt_in';
  const locale = overrides.locale ?? 'en';
  const purposeIds = ['balance_alerts', 'payment_notices'];
  return {
    kind,
    flowId: 'atm-balance',
    entryPoint: 'atm.after_transaction',
    locale,
    consents: [{ purposeIds, shownText: renderConsentSentence(terms, kind, purposeIds, locale).text }],
    subject: { source: 'self_entered', phone: `0${PHONE_DIGITS.slice(0, 2)}-${PHONE_DIGITS.slice(2, 6)}-${PHONE_DIGITS.slice(6)}`, country: 'JP' },
    ...overrides,
  };
}

export function consentFor(purposeIds: string[], kind: ConsentDraft['kind'] = 'opt_in') {
  return { purposeIds, shownText: renderConsentSentence(terms, kind, purposeIds, 'en').text };
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-ledger-'));
}

/** A clock the test moves by hand: wall and monotonic time advance together, unless the wall clock is stepped. */
export function manualClock(
  start = new Date('2026-11-05T09:30:00.000Z'),
): LedgerClock & { advanceDays(days: number): void; advanceMs(ms: number): void; stepWallClock(ms: number): void } {
  let now = start.getTime();
  let mono = 1_000_000;
  return {
    now: () => new Date(now),
    monoMs: () => mono,
    bootId: crypto.randomUUID(),
    advanceMs: (ms) => {
      now += ms;
      mono += ms;
    },
    advanceDays(days) {
      this.advanceMs(days * 86_400_000);
    },
    stepWallClock: (ms) => {
      now += ms;
    },
  };
}

/** The system's clocks with the wall clock `offsetMs()` away: what a kiosk with a wrong clock reads. */
export function skewedClock(offsetMs: () => number): LedgerClock {
  return { now: () => new Date(Date.now() + offsetMs()), monoMs: systemClock.monoMs, bootId: systemClock.bootId };
}

const quiet = () => undefined;

/** A ledger in a fresh temp directory with the development vault (its warning silenced). */
export function freshLedger(options: { dataDir?: string; clock?: LedgerClock } = {}): { ledger: Ledger; dataDir: string } {
  const dataDir = options.dataDir ?? tempDataDir();
  const vault = openFileKeyVault(dataDir, { warn: quiet });
  return { ledger: openLedger({ dataDir, vault, ...(options.clock ? { clock: options.clock } : {}) }), dataDir };
}

/**
 * What an attacker with SQL access does: a separate connection, the append-only triggers dropped, then `sql`
 * (which may call sha256_hex(text) to recompute a hash column).
 */
export function tamper(dataDir: string, sql: string): void {
  const db = new Database(ledgerPath(dataDir));
  try {
    db.pragma('foreign_keys = OFF');
    db.function('sha256_hex', (text: unknown) => crypto.createHash('sha256').update(String(text)).digest('hex'));
    db.exec(`
      DROP TRIGGER IF EXISTS events_refuse_update;
      DROP TRIGGER IF EXISTS events_refuse_delete;
      DROP TRIGGER IF EXISTS chain_head_moves_forward;
      DROP TRIGGER IF EXISTS chain_head_refuse_delete;
      DROP TRIGGER IF EXISTS device_keys_refuse_update;
      DROP TRIGGER IF EXISTS device_keys_refuse_delete;
    `);
    db.exec(sql);
  } finally {
    db.close();
  }
}

export type SignedConsent = ConsentEventBody & { sig: string };

/** The version 2 consents among chain events (what this kiosk writes), typed as such. */
export function consentsOf(events: ChainEvent[]): SignedConsent[] {
  return events.filter((event): event is SignedConsent => event.v === 2 && event.type === 'consent');
}

/** The pending events of `ledger` that are consents, in seq order (past key rotations, where outbox reads stop). */
export function pendingConsents(ledger: Ledger, limit = 100, afterSeq = 0): SignedConsent[] {
  const events: ChainEvent[] = [];
  for (let batch = ledger.readOutbox(limit, afterSeq); batch.length > 0 && events.length < limit; batch = ledger.readOutbox(limit, batch.at(-1)!.event.seq)) {
    events.push(...batch.map((item) => item.event));
  }
  return consentsOf(events.slice(0, limit));
}

type Body = Record<string, unknown> & { seq: number; prev: string; device: { id: string; keyId: string } };

function rawKeyOf(privateKey: crypto.KeyObject): Buffer {
  return Buffer.from(crypto.createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url');
}

const keyIdOfRaw = (raw: Buffer) => crypto.createHash('sha256').update(raw).digest('hex').slice(0, 32);

/**
 * What an attacker holding only the ledger file does to pass off a history as this device's: a fresh key pair,
 * every event re-signed with it (its key id in each body, every prev relinked), the device's key records replaced.
 * The chain is consistent in itself; only the key it is checked against can tell.
 */
export function rekeyLedger(dataDir: string): { publicKey: Buffer; privateKey: crypto.KeyObject } {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = rawKeyOf(privateKey);
  const keyId = keyIdOfRaw(raw);
  const db = new Database(ledgerPath(dataDir));
  try {
    db.exec(`DROP TRIGGER IF EXISTS events_refuse_update; DROP TRIGGER IF EXISTS chain_head_moves_forward;
      DROP TRIGGER IF EXISTS device_keys_refuse_update; DROP TRIGGER IF EXISTS device_keys_refuse_delete`);
    let prev = '0'.repeat(64);
    const update = db.prepare('UPDATE events SET body = ?, hash = ?, sig = ? WHERE seq = ?');
    for (const row of db.prepare('SELECT seq, body FROM events ORDER BY seq').all() as Array<{ seq: number; body: string }>) {
      const body = JSON.parse(row.body) as Body;
      body.device.keyId = keyId;
      body.prev = prev;
      const json = canonicalJson(body);
      prev = crypto.createHash('sha256').update(json).digest('hex');
      update.run(json, prev, crypto.sign(null, Buffer.from(json), privateKey).toString('base64url'), row.seq);
    }
    db.prepare('UPDATE chain_head SET hash = ?').run(prev);
    db.prepare('UPDATE device SET key_id = ?, public_key = ?').run(keyId, raw.toString('base64url'));
    db.prepare('DELETE FROM device_keys').run();
    db.prepare("INSERT INTO device_keys (from_seq, key_id, public_key, added_at) VALUES (1, ?, ?, '2026-11-05T09:30:00.000Z')").run(
      keyId,
      raw.toString('base64url'),
    );
  } finally {
    db.close();
  }
  return { publicKey: raw, privateKey };
}

/**
 * Someone with the device key itself: edits the event at `seq` and signs it again, hash column recomputed. `signer`:
 * the key that signed it, when it is no longer the vault's current one (an event before a key rotation).
 */
export function resignEvent(dataDir: string, seq: number, edit: (body: Body) => void, signer: Pick<KeyVault, 'sign'> = openFileKeyVault(dataDir, { warn: quiet })): void {
  const db = new Database(ledgerPath(dataDir));
  try {
    db.exec('DROP TRIGGER IF EXISTS events_refuse_update');
    const row = db.prepare('SELECT body FROM events WHERE seq = ?').get(seq) as { body: string };
    const body = JSON.parse(row.body) as Body;
    edit(body);
    const json = canonicalJson(body);
    db.prepare('UPDATE events SET body = ?, hash = ?, sig = ? WHERE seq = ?').run(
      json,
      crypto.createHash('sha256').update(json).digest('hex'),
      signer.sign(Buffer.from(json)).toString('base64url'),
      seq,
    );
  } finally {
    db.close();
  }
}

/** The central API's statement key, as a test stands it in when no API runs: signs device_head statements. */
export function apiStatementKey() {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = rawKeyOf(privateKey);
  const keyId = keyIdOfRaw(raw);
  return {
    pinned: [{ keyId, publicKey: raw.toString('base64url'), validFrom: '2026-01-01T00:00:00.000Z', validUntil: null }],
    sign(deviceId: string, issuedAt: Date, head: { seq: number; hash: string } | null = null): SignedApiStatement {
      const statement = { v: 1 as const, type: 'device_head' as const, keyId, deviceId, head, issuedAt: issuedAt.toISOString() };
      return { statement, sig: crypto.sign(null, Buffer.from(canonicalApiStatement(statement)), privateKey).toString('base64url') };
    },
  };
}

/**
 * A clock observation as the sync worker makes one: the ledger's clocks read before and after a pretend request
 * (a manual clock is moved on by `roundTripMs` in between), the statement signed by `key` with the API's clock
 * `offsetMs` ahead of the device's wall clock.
 */
export function observeClock(
  ledger: Ledger,
  clock: LedgerClock & { advanceMs?(ms: number): void },
  key = apiStatementKey(),
  options: { offsetMs?: number; roundTripMs?: number } = {},
) {
  const sent = ledger.readClock();
  clock.advanceMs?.(options.roundTripMs ?? 0);
  const received = ledger.readClock();
  const issuedAt = new Date((Date.parse(sent.at) + Date.parse(received.at)) / 2 + (options.offsetMs ?? 0));
  return ledger.recordClockObservation({ statement: key.sign(ledger.deviceId, issuedAt), sent, received });
}

/**
 * What a kiosk before the trust model left behind at schema `version` (1–3): a format 1 key file and `captures`
 * version 1 consents of two purposes each, signed and chained as that kiosk did, pending in the outbox. Built from
 * the documented format, not by the current capture code.
 */
export function legacyLedger(version: number, captures = 2): { dataDir: string; ids: string[] } {
  const dataDir = tempDataDir();
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = rawKeyOf(privateKey);
  const dataKey = crypto.randomBytes(32);
  fs.writeFileSync(
    path.join(dataDir, 'keys.json'),
    JSON.stringify({
      format: 1,
      sealer: 'plaintext-development',
      publicKey: raw.toString('base64url'),
      sealedPrivateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      sealedDataKey: dataKey.toString('base64'),
    }),
    { mode: 0o600 },
  );
  const db = new Database(ledgerPath(dataDir));
  const ids: string[] = [];
  try {
    db.pragma('journal_mode = WAL');
    migrate(db, version);
    const deviceId = crypto.randomUUID();
    const keyId = keyIdOfRaw(raw);
    db.prepare("INSERT INTO device (singleton, device_id, key_id, public_key, created_at) VALUES (1, ?, ?, ?, '2026-10-01T08:00:00.000Z')").run(
      deviceId,
      keyId,
      raw.toString('base64url'),
    );
    let prev = '0'.repeat(64);
    let seq = 0;
    for (let capture = 0; capture < captures; capture += 1) {
      const capturedAt = new Date(Date.parse('2026-10-01T09:00:00.000Z') + capture * 60_000);
      const opening = newOpening(`+8190${String(55_550_000 + capture)}`, undefined);
      for (const purposeIds of [['balance_alerts'], ['payment_notices']]) {
        seq += 1;
        const sentence = renderConsentSentence(terms, 'opt_in', purposeIds, 'en');
        const body = {
          v: 1,
          id: uuidv7({ msecs: capturedAt.getTime(), seq }),
          seq,
          prev,
          device: { id: deviceId, keyId },
          kind: 'opt_in',
          subject: { source: 'self_entered', commitment: opening.commitment },
          business: { name: terms.business.name, whatsappNumber: terms.business.whatsappNumber },
          purpose: { id: purposeIds[0], category: 'utility' },
          notice: { ...sentence.notice, text: sentence.text },
          channel: terms.channel,
          entryPoint: 'atm.after_transaction',
          flowId: 'atm-balance',
          capturedAt: capturedAt.toISOString(),
          clock: { knownGood: false },
        };
        const json = canonicalJson(body);
        const hash = crypto.createHash('sha256').update(json).digest('hex');
        db.prepare('INSERT INTO events (seq, id, body, hash, sig, opening) VALUES (?, ?, ?, ?, ?, ?)').run(
          seq,
          body.id,
          json,
          hash,
          crypto.sign(null, Buffer.from(json), privateKey).toString('base64url'),
          sealOpening(dataKey, body.id, opening.json),
        );
        db.prepare("INSERT INTO outbox (state, seq, enqueued_at) VALUES ('pending', ?, ?)").run(seq, capturedAt.getTime());
        if (version === 2) {
          db.prepare(
            `INSERT INTO funnel_counters (day, flow_id, purpose_id, locale, outcome, count) VALUES (?, 'atm-balance', ?, 'en', 'accepted', 1)
             ON CONFLICT DO UPDATE SET count = count + 1`,
          ).run(capturedAt.toISOString().slice(0, 10), purposeIds[0]);
        }
        ids.push(body.id);
        prev = hash;
      }
    }
    db.prepare('UPDATE chain_head SET seq = ?, hash = ?').run(seq, prev);
  } finally {
    db.close();
  }
  return { dataDir, ids };
}
