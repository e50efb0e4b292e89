import type Database from 'better-sqlite3';
import type { ChainEventBody } from '../../shared/contract/chain-event.ts';
import type { DeviceClock } from '../../shared/contract/consent-event.ts';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { canonicalEventBody } from '../../shared/event-bytes.ts';
import { sha256Hex } from './event-signing.ts';
import type { LedgerClock } from './clock.ts';
import type { ClockQuality } from './clock-quality.ts';
import { eventId } from './event-id.ts';
import type { KeyVault } from './key-vault.ts';

export type ChainHead = { seq: number; hash: string };

/** The clocks as one event (or one capture's events) carries them, read once. */
export type ClockStamp = { now: Date; capturedAt: string; clock: DeviceClock };

/**
 * The one way an event enters the chain, for consents, clock observations and key rotations alike: sign the
 * canonical bytes with the vault's current key, insert the event, move the head (the event is then pending for the
 * sync worker, with no row of its own: outbox.ts). Every call runs inside the caller's write transaction; seq and
 * prev come from the chain_head row, not from the events table, so a truncated tail cannot be papered over by the
 * next append: the gap stays visible to `verify`.
 */
export function prepareChainAppend(db: Database.Database, deviceId: string, vault: KeyVault, clock: LedgerClock, quality: ClockQuality) {
  // The device's current key is read with the head: a ledger whose key another process rotated (kioskctl
  // rotate-key while the kiosk ran) must not gain events signed by the key it has retired.
  const selectHead = db.prepare(
    `SELECT h.seq, h.hash, (SELECT key_id FROM device_keys ORDER BY from_seq DESC LIMIT 1) AS keyId
     FROM chain_head h WHERE h.singleton = 1`,
  );
  const insertEvent = db.prepare('INSERT INTO events (seq, id, body, hash, sig, opening) VALUES (?, ?, ?, ?, ?, ?)');
  const updateHead = db.prepare('UPDATE chain_head SET seq = ?, hash = ? WHERE singleton = 1');

  const chain = {
    deviceId,
    now: () => clock.now(),
    /** Wall clock, monotonic clock and boot; known-good as `knownGood` judges it (by default the last observation). */
    stamp(knownGood: (nowMs: number, monoMs: number) => boolean = quality.knownGood): ClockStamp {
      const now = clock.now();
      const monoMs = clock.monoMs();
      return { now, capturedAt: now.toISOString(), clock: { knownGood: knownGood(now.getTime(), monoMs), bootId: clock.bootId, monoMs } };
    },
    /** The first fields of an event that is not a consent, at the seq after `head`, signed by the current key. */
    nextLink(head: ChainHead, stamp: ClockStamp) {
      const seq = head.seq + 1;
      return {
        v: 2 as const,
        id: eventId(stamp.now, seq),
        seq,
        prev: head.hash,
        device: { id: deviceId, keyId: vault.keyId },
        capturedAt: stamp.capturedAt,
        clock: stamp.clock,
      };
    },
    head(): ChainHead {
      const head = selectHead.get() as (ChainHead & { keyId: string }) | undefined;
      if (!head) throw new KioskFailure('ledger_corrupt', 'The consent ledger has lost its chain head record.');
      if (head.keyId !== vault.keyId) {
        throw new KioskFailure(
          'storage_unavailable',
          'The device key was rotated by another process; restart the kiosk so that it signs with the new key.',
        );
      }
      return head;
    },
    /** Signs and stores `body` (its seq and prev taken from `head()`); returns the event's hash, the next prev. */
    write(body: ChainEventBody, sealedOpening: Buffer | null): string {
      const json = canonicalEventBody(body);
      const bytes = Buffer.from(json, 'utf8');
      const hash = sha256Hex(bytes);
      insertEvent.run(body.seq, body.id, json, hash, vault.sign(bytes).toString('base64url'), sealedOpening);
      return hash;
    },
    setHead(head: ChainHead): void {
      updateHead.run(head.seq, head.hash);
    },
  };
  return chain;
}

export type ChainAppend = ReturnType<typeof prepareChainAppend>;
