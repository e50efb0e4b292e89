import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';

/**
 * The device's clocks as the ledger reads them: the wall clock (`now`, a claim: it may be wrong, stepped or corrected
 * at any moment), a monotonic clock (`monoMs`, never stepped; comparable only within one boot) and the id of that
 * boot. Every chain event carries all three, so the central API can correct an event by a clock observation of the
 * same boot whatever the wall clock did in between (docs/trust-model.md, "Time").
 */
export type LedgerClock = {
  now(): Date;
  /** Milliseconds of the monotonic clock, an integer ≥ 0. */
  monoMs(): number;
  /** Identifies the boot `monoMs` counts from: two readings are comparable only when their boot ids are equal. */
  readonly bootId: string;
};

const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/**
 * Linux names each boot with a random UUID, and `process.hrtime` is CLOCK_MONOTONIC there: milliseconds since that
 * boot, shared by every process, so a kiosk restarted within one boot keeps comparable monotonic times. Elsewhere
 * (or when the file cannot be read) a random UUID per process start stands in: conservative, since monotonic times
 * are then compared only within one run of the kiosk. Read once, at start: the capture path reads no file.
 */
export function readBootId(file = BOOT_ID_FILE): string {
  try {
    const parsed = z.uuid().safeParse(fs.readFileSync(file, 'utf8').trim());
    if (parsed.success) return parsed.data;
  } catch {
    // not Linux, or no procfs: a boot id per process start
  }
  return crypto.randomUUID();
}

const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

export const systemClock: LedgerClock = { now: () => new Date(), monoMs: monotonicMs, bootId: readBootId() };

/** Funnel counters and retention work in UTC days. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
