import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sentenceForTyped } from '../../fixtures/shown-sentence.ts';
import type { KioskResult } from '../../../shared/contract/kiosk-api.ts';
import { createHost, type Host } from '../../../electron/host/host.ts';
import { skewedClock } from '../ledger/fixtures.ts';
import { developmentPinPath, writeSignedProfile } from '../../fixtures/signed-profile.ts';
import { demoProfile, startTestHost } from './host-fixture.ts';

type TestHost = Awaited<ReturnType<typeof startTestHost>>;
let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

function value<T>(result: KioskResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function atmCapture(subject: { phone: string; [field: string]: unknown }, flowOverrides: Record<string, unknown> = {}) {
  const flow = demoProfile().flows.find((candidate) => candidate.id === 'atm')!;
  return {
    kind: 'opt_in',
    flowId: 'atm',
    entryPoint: flow.entryPoint,
    locale: 'en',
    consents: [{ purposeIds: ['balance_alerts'], shownText: sentenceForTyped(flow, 'opt_in', ['balance_alerts'], 'en', subject.phone) }],
    subject,
    ...flowOverrides,
  };
}

/** "Stop WhatsApp messages" at the ATM: the one capture the renderer may make without an offer. */
function atmOptOut(overrides: Record<string, unknown> = {}) {
  const flow = demoProfile().flows.find((candidate) => candidate.id === 'atm')!;
  return {
    kind: 'opt_out',
    flowId: 'atm',
    entryPoint: 'atm.stop_messages',
    locale: 'en',
    consents: [{ purposeIds: ['balance_alerts'], shownText: sentenceForTyped(flow, 'opt_out', ['balance_alerts'], 'en', '090-1234-5678') }],
    subject: { source: 'self_entered', phone: '090-1234-5678', country: 'JP' },
    ...overrides,
  };
}

describe('the host', () => {
  it('refuses to start on a bad profile with one sentence naming the file and the field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-bad-profile-'));
    const profilePath = path.join(dir, 'profile.json');
    const profile = demoProfile();
    profile.flows[0]!.id = 'Not A Slug';
    writeSignedProfile(profilePath, profile);
    await expect(createHost({ profileKeyPath: developmentPinPath, dataDir: dir, profilePath, log: () => {} })).rejects.toThrow(
      /^Invalid profile .*profile\.json: flows\.0\.id: must be lower-case/,
    );
    writeFileSync(profilePath, '{ not json');
    await expect(createHost({ profileKeyPath: developmentPinPath, dataDir: dir, profilePath, log: () => {} })).rejects.toThrow(/is not valid JSON\.$/);
    await expect(createHost({ profileKeyPath: developmentPinPath, dataDir: dir, profilePath: path.join(dir, 'missing.json'), log: () => {} })).rejects.toThrow(
      /cannot be loaded: there is no such file\.$/,
    );
  });

  it('refuses a profile whose business name is not well-formed Unicode, and opens no ledger', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-bad-profile-'));
    const profilePath = path.join(dir, 'profile.json');
    const profile = demoProfile();
    profile.flows[0]!.business.name = 'Bank \ud800';
    // JSON.stringify writes the lone surrogate as the escape "\ud800", as a hand-edited file would have it
    writeSignedProfile(profilePath, profile);
    expect(readFileSync(profilePath, 'utf8')).toContain('Bank \\ud800');
    const dataDir = path.join(dir, 'data');
    await expect(createHost({ profileKeyPath: developmentPinPath, dataDir, profilePath, log: () => {} })).rejects.toThrow(
      /^Invalid profile .*profile\.json: flows\.0\.business\.name: must be well-formed Unicode \(no lone surrogates\)$/,
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a capture whose shown sentence is not well-formed Unicode, and records nothing', async () => {
    host = await startTestHost();
    const capture = atmCapture({ source: 'self_entered', phone: '090-1234-5678', country: 'JP' });
    capture.consents[0]!.shownText += ' \udfff';
    const result = await host.dispatch('captureConsent', capture);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', details: [{ path: 'consents.0.shownText' }] } });
    expect(host.ledger.status().chainHead).toBeNull();
  });

  it('refuses a profile whose flow cannot be shown in one of its languages', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-bad-profile-'));
    const profilePath = path.join(dir, 'profile.json');
    const profile = demoProfile();
    profile.flows[1]!.notices = profile.flows[1]!.notices.filter((notice) => notice.locale !== 'es');
    writeSignedProfile(profilePath, profile);
    await expect(createHost({ profileKeyPath: developmentPinPath, dataDir: dir, profilePath, log: () => {} })).rejects.toThrow(/has no consent notice in "es"/);
  });

  it('records an opt-in only as the answer to an offer of the terminal’s application', async () => {
    host = await startTestHost();
    const unasked = await host.dispatch('captureConsent', atmCapture({ source: 'self_entered', phone: '090-1234-5678', country: 'JP' }));
    expect(unasked).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const staleStep = await host.dispatch(
      'captureConsent',
      { ...atmCapture({ source: 'self_entered', phone: '090-1234-5678', country: 'JP' }), stepId: 'a'.repeat(24) },
    );
    expect(staleStep).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(host.ledger.status().outbox.pending).toBe(0);
  });

  it('refuses an opt-out at an entry point that is not the flow’s, and records nothing', async () => {
    host = await startTestHost();
    const result = await host.dispatch('captureConsent', atmOptOut({ entryPoint: 'atm.after_transaction' }));
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(host.ledger.status().outbox.pending).toBe(0);
  });

  it('answers unknown methods, malformed input and ledger refusals as error values, never throwing', async () => {
    host = await startTestHost();
    expect(await host.dispatch('dropTables', {})).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await host.dispatch('awaitStep', { known: 42 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', details: [{ path: 'known' }] },
    });
    expect(await host.dispatch('captureConsent', atmOptOut({ flowId: 'nope' }))).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const invalidPhone = await host.dispatch('captureConsent', atmOptOut({ subject: { source: 'self_entered', phone: '12', country: 'JP' } }));
    expect(invalidPhone).toMatchObject({ ok: false, error: { code: 'invalid_phone' } });
    expect(JSON.stringify(invalidPhone)).not.toMatch(/at .*\.ts:\d+/);
    expect(host.ledger.status().outbox.pending).toBe(0);
  });

  it('reports the sync worker as disabled until one is wired, and its own state once it is', async () => {
    host = await startTestHost();
    expect(value(await host.dispatch('getStatus', {})).sync).toEqual({ state: 'disabled', lastSuccessAt: null, lastError: null });
    await host.dispose();
    const wakes: Array<string | undefined> = [];
    host = await startTestHost(undefined, {
      sync: () => ({
        status: () => ({ state: 'idle', lastSuccessAt: null, lastError: null }),
        wake: (reason) => void wakes.push(reason),
        stop: async () => {},
      }),
    });
    expect(value(await host.dispatch('getStatus', {})).sync.state).toBe('idle');
    value(await host.dispatch('captureConsent', atmOptOut()));
    expect(wakes).toEqual([undefined]);
    // what the Electron shell calls when Chromium reports the network back: no waiting out a backoff
    host.networkIsUp();
    expect(wakes).toEqual([undefined, 'network-up']);
  });
});

describe('the retention job', () => {
  it('erases the personal data of events synced more than the retention period ago, and the ledger still verifies', async () => {
    host = await startTestHost();
    const captured = value(await host.dispatch('captureConsent', atmOptOut()));
    host.ledger.applySyncResults(captured.events.map(({ id }) => ({ id, status: 'accepted' as const })));
    const subjects = (ledger: Host['ledger']) =>
      [...ledger.exportRecords({ personalData: true })].flatMap((record) => ('subject' in record ? [record.subject] : []));
    expect(subjects(host.ledger)).toEqual([expect.objectContaining({ phone: '+819012345678' })]);
    const dataDir = path.join(host.dataDir, 'data');
    await host.close();

    const later = skewedClock(() => 31 * 86_400_000);
    const restarted = await createHost({ profileKeyPath: developmentPinPath, dataDir, profilePath: path.join(host.dataDir, 'profile.json'), clock: later, retentionDays: 30, log: () => {} });
    try {
      expect(subjects(restarted.ledger)).toEqual([null]);
      expect(restarted.ledger.verify()).toMatchObject({ ok: true });
    } finally {
      await restarted.close();
    }
  });
});
