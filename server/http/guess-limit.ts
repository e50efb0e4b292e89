/**
 * A bound on guessing: typed enrolment tokens are 16 digits (about 50 bits), short enough for a technician's keypad,
 * so an address that keeps presenting unknown tokens is made to wait. Per API instance and in memory: behind a
 * balancer each instance bounds its own share, and a restart forgets, which only ever lets a technician retry sooner.
 */
export function guessLimit({ misses, windowMs, now }: { misses: number; windowMs: number; now: () => Date }) {
  const missesBy = new Map<string, number[]>();
  const recent = (address: string): number[] => {
    const since = now().getTime() - windowMs;
    const kept = (missesBy.get(address) ?? []).filter((at) => at > since);
    if (kept.length > 0) missesBy.set(address, kept);
    else missesBy.delete(address);
    return kept;
  };
  return {
    /** Seconds until `address` may guess again; 0 when it may now. */
    waitSeconds(address: string): number {
      const kept = recent(address);
      if (kept.length < misses) return 0;
      return Math.max(1, Math.ceil((kept[kept.length - misses]! + windowMs - now().getTime()) / 1000));
    },
    miss(address: string): void {
      missesBy.set(address, [...recent(address), now().getTime()]);
    },
  };
}
