import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { URI, type TOTP } from 'otpauth';
import { afterEach, describe, expect, it } from 'vitest';
import { HostClient } from '../../../sdk/host-client/index.ts';
import type { ChainEvent } from '../../../shared/contract/chain-event.ts';
import type { HostOptions } from '../../../electron/host/host.ts';
import { provisionTechnician } from '../../fixtures/technicians.ts';
import { startTestHost } from '../host/host-fixture.ts';

type TestHost = Awaited<ReturnType<typeof startTestHost>>;
let host: TestHost | undefined;
const clients: HostClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await host?.dispose();
  host = undefined;
});

async function kioskWithTechnician(technician: Partial<NonNullable<HostOptions['technician']>> = {}) {
  const tech = provisionTechnician(mkdtempSync(path.join(tmpdir(), 'kiosk-technicians-')));
  host = await startTestHost(undefined, { technician: { file: tech.file, lockout: { maxFailures: 3, lockoutMs: 60_000, minIntervalMs: 0 }, ...technician } });
  const call = async (method: string, input: unknown) => host!.dispatch(method, input) as Promise<{ ok: boolean; value: { session: string } & Record<string, unknown>; error?: { code: string; message: string } }>;
  return { tech, call, kiosk: host };
}

const serviceEvents = (kiosk: TestHost) =>
  kiosk.ledger
    .readOutbox(1000)
    .map((item) => item.event as ChainEvent)
    .filter((event) => event.v === 2 && event.type === 'service');

describe('technician mode', () => {
  it('opens with a valid code, records the session in the chain, and takes the same code only once', async () => {
    const { tech, call, kiosk } = await kioskWithTechnician();
    const code = tech.code();
    const opened = await call('technicianBegin', { code });
    expect(opened).toMatchObject({ ok: true, value: { technician: 'field-tech-1', idleSeconds: 120 } });
    await call('technicianEnd', { session: opened.value.session });
    expect((await call('technicianBegin', { code })).error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/^That code is not valid\./) });
    expect(serviceEvents(kiosk).map((event) => event.v === 2 && event.type === 'service' && [event.action, event.technician])).toEqual([
      ['session_started', 'field-tech-1'],
      ['session_ended', 'field-tech-1'],
    ]);
    expect(kiosk.ledger.verify()).toMatchObject({ ok: true, counts: { consent: 0, service: 2 } });
  });

  it('locks out after repeated wrong codes, even the right one, and says until when, keeping the count on disk', async () => {
    const { tech, call, kiosk } = await kioskWithTechnician();
    expect((await call('technicianBegin', { code: tech.wrongCode() })).error?.message).toBe('That code is not valid. 2 tries left before technician mode locks.');
    expect((await call('technicianBegin', { code: tech.wrongCode() })).error?.message).toBe('That code is not valid. 1 try left before technician mode locks.');
    expect((await call('technicianBegin', { code: tech.wrongCode() })).error?.message).toMatch(/^That code is not valid\. Technician mode is locked until \d\d:\d\d UTC\.$/);
    const locked = await call('technicianBegin', { code: tech.code() });
    expect(locked.error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/^Technician mode is locked after 3 wrong codes, until \d\d:\d\d UTC\.$/) });
    expect(serviceEvents(kiosk).map((event) => event.v === 2 && event.type === 'service' && [event.action, event.technician])).toEqual([['locked_out', null]]);

    const dataDir = path.join(kiosk.dataDir, 'data');
    const lockoutFile = readFileSync(path.join(dataDir, 'technician-lockout.json'), 'utf8');
    expect(JSON.parse(lockoutFile).lockedUntilMs).toBeGreaterThan(Date.now());
  });

  it('never opens while a customer is in a transaction or a step', async () => {
    const { tech, call, kiosk } = await kioskWithTechnician();
    const client = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
    clients.push(client);
    await client.beginSession({ locale: 'en' });
    expect((await call('technicianBegin', { code: tech.code() })).error).toMatchObject({
      code: 'forbidden',
      message: 'Technician mode opens only from the attract screen, never during a customer’s step.',
    });
    expect(serviceEvents(kiosk)).toEqual([]);
  });

  it('leaves by itself after inactivity, and its session then opens nothing', async () => {
    const { tech, call, kiosk } = await kioskWithTechnician({ idleMs: 300 });
    const { session } = (await call('technicianBegin', { code: tech.code() })).value;
    expect((await call('technicianDiagnostics', { session })).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await call('technicianDiagnostics', { session })).error).toMatchObject({ code: 'unauthorized' });
    expect((await call('technicianAction', { session, action: 'test_capture' })).error).toMatchObject({ code: 'unauthorized' });
    const ended = serviceEvents(kiosk).at(-1)!;
    expect(ended).toMatchObject({ type: 'service', action: 'session_ended', detail: 'Left after 0 s without a touch.' });
  });

  it('records a test capture as a service event and never as a consent', async () => {
    const { tech, call, kiosk } = await kioskWithTechnician();
    const { session } = (await call('technicianBegin', { code: tech.code() })).value;
    const result = await call('technicianAction', { session, action: 'test_capture' });
    expect(result.value).toMatchObject({ outcome: 'done' });
    expect(kiosk.ledger.eventCounts()).toMatchObject({ consent: 0, service: 2 });
    expect(kiosk.ledger.funnelCounts()).toEqual([]);
    expect(serviceEvents(kiosk).at(-1)).toMatchObject({ action: 'test_capture', technician: 'field-tech-1', outcome: 'done' });
  });

  it('catches a mistyped enrolment token before asking the network, and records only how it went', async () => {
    const { tech, call, kiosk } = await kioskWithTechnician();
    const { session } = (await call('technicianBegin', { code: tech.code() })).value;
    const typo = await call('technicianAction', { session, action: 'enrol', token: '1234 5678 9012 3456' });
    expect(typo.value).toEqual({ outcome: 'failed', message: 'The check digit does not match: a digit was mistyped. Type the token again.' });
    const short = await call('technicianAction', { session, action: 'enrol', token: '1234' });
    expect(short.value).toMatchObject({ message: 'That is 4 digits; an enrolment token has 16.' });
    expect(JSON.stringify(serviceEvents(kiosk))).not.toContain('1234 5678');
  });

  it('shows every diagnostic of the terminal', async () => {
    const { tech, call } = await kioskWithTechnician();
    const { session } = (await call('technicianBegin', { code: tech.code() })).value;
    const diagnostics = (await call('technicianDiagnostics', { session })).value;
    expect(diagnostics).toMatchObject({
      deviceId: expect.any(String),
      keyFingerprint: expect.stringMatching(/^SHA256:[0-9a-f]{64}$/),
      enrolment: 'sync_off',
      outbox: { pending: 1, dead: 0 },
      clock: { offsetMs: null, knownGood: false },
      freeDiskBytes: expect.any(Number),
      profile: { id: 'demo', revision: 1, developmentKey: true, refused: null },
      apiReachable: null,
      integrity: null,
    });
    const checked = await call('technicianAction', { session, action: 'check_integrity' });
    expect(checked.value).toMatchObject({ outcome: 'done', message: expect.stringMatching(/^The ledger is intact: 1 events verified, every signature and link\.$/) });
    expect((await call('technicianDiagnostics', { session })).value.integrity).toMatchObject({ ok: true });
  });

  it('is off when no technician is provisioned, or when the technicians file is readable by others', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-technicians-'));
    const file = path.join(dir, 'technicians.json');
    writeFileSync(file, JSON.stringify({ technicians: [{ id: 'x', secret: 'A'.repeat(32) }] }));
    chmodSync(file, 0o644);
    host = await startTestHost(undefined, { technician: { file } });
    expect((await host.dispatch('technicianBegin', { code: '123456' })).ok).toBe(false);
    expect(await host.dispatch('technicianBegin', { code: '123456' })).toMatchObject({
      error: { code: 'forbidden', message: 'No technician is provisioned on this terminal (KIOSK_TECHNICIANS_FILE).' },
    });
  });
});

describe('kioskctl technician add', () => {
  it('provisions a technician whose authenticator opens technician mode, never printing the secret', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kioskctl-technician-'));
    const file = path.join(dir, 'technicians.json');
    const uriFile = path.join(dir, 'field-tech-2.uri');
    const added = spawnSync(process.execPath, ['--import', 'tsx', 'electron/cli/kioskctl.ts', 'technician', 'add', 'field-tech-2', '--file', file, '--uri-file', uriFile], { encoding: 'utf8', timeout: 60_000 });
    expect(added.status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(uriFile).mode & 0o777).toBe(0o600);
    const totp = URI.parse(readFileSync(uriFile, 'utf8').trim()) as TOTP;
    expect(added.stdout + added.stderr).not.toContain(totp.secret.base32);
    host = await startTestHost(undefined, { technician: { file } });
    expect(await host.dispatch('technicianBegin', { code: totp.generate() })).toMatchObject({ ok: true, value: { technician: 'field-tech-2' } });
  });
});
