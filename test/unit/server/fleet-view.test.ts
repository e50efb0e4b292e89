import { describe, expect, it } from 'vitest';
import { fleetDevice, STALE_AFTER_MS } from '../../../server/console/fleet-view.ts';
import type { DeviceRow } from '../../../server/store/device-health.ts';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const device = (heartbeat: Partial<NonNullable<DeviceRow['heartbeat']>> | null, row: Partial<DeviceRow> = {}): DeviceRow => ({
  deviceId: '0b0e5c4e-8f4c-4d8e-9a55-0c0c7d7c2b11',
  keyId: '0'.repeat(32),
  appVersion: '1.0.0',
  enrolledAt: iso(NOW - 86_400_000),
  revokedAt: null,
  businessIds: null,
  placement: null,
  lastIngestAt: null,
  chain: { contiguousSeq: 10, highestSeq: 10, missing: [] },
  heartbeat:
    heartbeat === null
      ? null
      : { receivedAt: iso(NOW - 60_000), pending: 0, dead: 0, oldestPendingAgeMs: null, lastSyncAt: null, appVersion: '1.0.1', profileVersion: '7', profileInForce: null, placement: null, ...heartbeat },
  ...row,
});

describe('the fleet page', () => {
  it('calls a device healthy while it reports, and stale after three missed heartbeats', () => {
    expect(fleetDevice(device({}), undefined, NOW, 60_000).flags).toEqual([]);
    expect(fleetDevice(device({ receivedAt: iso(NOW - STALE_AFTER_MS - 1) }), undefined, NOW, 60_000).flags).toEqual(['stale']);
    expect(fleetDevice(device(null), undefined, NOW, 60_000).flags).toEqual(['never_reported']);
  });

  it('flags dead letters, an old backlog, a persistent chain gap and a clock further off than the tolerance', () => {
    const row = device({ dead: 2, pending: 40, oldestPendingAgeMs: 2 * 3_600_000 }, { chain: { contiguousSeq: 3, highestSeq: 9, missing: [{ fromSeq: 4, toSeq: 5, since: iso(NOW), persistent: true }] } });
    const shown = fleetDevice(row, { offsetMs: -90_000, observedAt: iso(NOW) }, NOW, 60_000);
    expect(shown.flags).toEqual(['dead_letters', 'backlog', 'chain_gap', 'clock_offset']);
    expect(shown).toMatchObject({ pending: 40, dead: 2, clockOffsetMs: -90_000, appVersion: '1.0.1', chain: { persistentGaps: 1 } });
    expect(fleetDevice(device({}), { offsetMs: 59_000, observedAt: iso(NOW) }, NOW, 60_000).flags).toEqual([]);
  });

  it('shows a revoked device as revoked, not as stale', () => {
    expect(fleetDevice(device({ receivedAt: iso(NOW - 10 * STALE_AFTER_MS) }, { revokedAt: iso(NOW) }), undefined, NOW, 60_000).flags).toEqual(['revoked']);
  });
});
