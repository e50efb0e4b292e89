import { v7 as uuidv7 } from 'uuid';
import { randomBytes } from './random-pool.ts';

/**
 * An event's UUIDv7: its time is the event's wall-clock time and its counter field the event's seq (RFC 9562
 * method 1), so ids stay ordered within a millisecond; the rest comes from the pooled randomness, not a
 * getRandomValues call per id.
 */
export function eventId(at: Date, seq: number): string {
  return uuidv7({ msecs: at.getTime(), seq, random: randomBytes(16) });
}
