// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { KioskStatus, SyncState } from '../../../shared/contract/status.ts';
import { demoProfile, inMemoryKiosk } from './in-memory-kiosk.ts';
import { showKiosk, type KioskScreen } from './screen.tsx';

let screen: KioskScreen | undefined;

afterEach(async () => {
  await screen?.unmount();
  screen = undefined;
});

function status(state: SyncState, pending: number, dead = 0): KioskStatus {
  return {
    deviceId: '01932a4e-7a00-7000-8000-000000000001',
    keyId: 'test-key',
    schemaVersion: 1,
    outbox: { pending, synced: 0, dead },
    oldestPendingAgeMs: pending ? 1000 : null,
    chainHead: null,
    sync: { state, lastSuccessAt: null, lastError: null },
  };
}

const footer = () => document.querySelector('footer')?.textContent ?? '';

async function showWithStatus(read: () => KioskStatus | null) {
  const host = inMemoryKiosk();
  host.api.getStatus = async () => {
    const value = read();
    return value ? { ok: true, value } : { ok: false, error: { code: 'storage_unavailable', message: 'down' } };
  };
  screen = await showKiosk(host.api);
  await screen.click('button', 'English');
  return { host, screen };
}

describe('the sync indicator', () => {
  it.each([
    [status('disabled', 0), 'Sync is off'],
    [status('disabled', 2), 'Sync is off · 2 records kept on this kiosk'],
    [status('idle', 0), 'All records synced'],
    [status('idle', 1), '1 record waiting to sync'],
    [status('syncing', 0), 'Syncing…'],
    [status('syncing', 3), 'Syncing 3 records…'],
    [status('offline', 0), 'Offline · no records waiting'],
    [status('offline', 4), 'Offline · 4 records waiting'],
    [status('needs_enrolment', 1), 'Sync needs a technician'],
    [status('idle', 0, 1), 'Sync needs a technician'],
    [null, 'Sync status unavailable'],
  ])('tells the truth for %j: "%s"', async (reported, expected) => {
    await showWithStatus(() => reported);
    expect(footer()).toBe(expected);
  });

  it('says a new record is kept, not synced, right after a capture while sync is off', async () => {
    let pending = 0;
    const { host, screen } = await showWithStatus(() => status('disabled', pending));
    expect(footer()).toBe('Sync is off');

    await act(async () => {
      host.offer('atm');
    });
    await screen.click('checkbox', 'balance alerts');
    await screen.click('button', 'Review');
    pending = 1;
    await screen.click('button', 'Confirm');

    expect(footer()).toBe('Sync is off · 1 record kept on this kiosk');
    expect(footer()).not.toContain('synced');
  });

  it('is not shown to a customer: only a demonstration profile shows it', async () => {
    const { hostIntegration, ...rest } = demoProfile;
    const customerProfile = { ...rest, hostIntegration: { displayModel: hostIntegration.displayModel } };
    screen = await showKiosk(inMemoryKiosk({ profile: customerProfile }).api);
    await screen.click('button', 'English');
    expect(screen.get('button', 'Stop WhatsApp messages')).toBeTruthy();
    expect(document.querySelector('footer')).toBeNull();
    expect(document.body.textContent).not.toMatch(/sync/i);
  });
});
