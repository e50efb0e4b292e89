import { describe, expect, it } from 'vitest';
import { measureClockOffset } from '../../../electron/sync/clock-offset.ts';

describe('clock offset', () => {
  it('measures a kiosk clock an hour fast as minus one hour, from the midpoint of the round trip', () => {
    const deviceSent = Date.parse('2025-03-01T11:00:00.000Z');
    const deviceReceived = deviceSent + 200;
    expect(measureClockOffset(deviceSent, deviceReceived, '2025-03-01T10:00:00.100Z')).toBe(-3_600_000);
  });

  it('reads a right clock as no offset', () => {
    expect(measureClockOffset(1_000, 1_040, new Date(1_020).toISOString())).toBe(0);
  });
});
