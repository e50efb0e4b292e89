/** The device clock and whether it is known to be right (e.g. recently checked against the central API). */
export type LedgerClock = { now(): Date; knownGood(): boolean };

export const systemClock: LedgerClock = { now: () => new Date(), knownGood: () => false };

/** Funnel counters and retention work in UTC days. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
