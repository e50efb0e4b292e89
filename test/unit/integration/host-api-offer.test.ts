import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostEvent, HostUnsolicited } from '../../../sdk/host-client/index.ts';
import { HostClient } from '../../../sdk/host-client/index.ts';
import type { HostOptions } from '../../../electron/host/host.ts';
import { sessionRecordPath } from '../../../electron/integration/session-record.ts';
import { systemClock } from '../../../electron/ledger/clock.ts';
import { isExportedConsent } from '../../../electron/ledger/event-export.ts';
import { observeClock } from '../ledger/fixtures.ts';
import { acceptStep, stepOnScreen, type KioskCall } from '../../fixtures/offered-step.ts';
import { startTestHost } from '../host/host-fixture.ts';
import type { TestHost } from './raw-host.ts';

const PHONE = '+819012345678';

const hosts: TestHost[] = [];
const clients: HostClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  // The latest first: a restarted kiosk runs in the directory of the one before it.
  for (const host of hosts.splice(0).reverse()) await host.dispose();
});

async function kioskWithHost(options: Partial<HostOptions> = {}) {
  const kiosk = await startTestHost(undefined, options);
  hosts.push(kiosk);
  const client = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
  clients.push(client);
  const call: KioskCall = (method, input) => kiosk.dispatch(method, input);
  return { kiosk, client, call };
}

/** The ids of the consents in the ledger, in chain order (not its clock observations). */
const ledgerIds = (kiosk: TestHost) =>
  [...kiosk.ledger.exportRecords({ personalData: false })].flatMap((record) =>
    record.record === 'event' && isExportedConsent(record) ? [record.event.id] : [],
  );

describe('an offer', () => {
  it('is answered accepted with the purposes and the event ids exactly as the ledger recorded them, after its events', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const events: HostEvent[] = [];
    const onScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en', verifiedSubject: { phone: PHONE }, customerReference: 'card-0042' });
    const outcome = client.offer({ flowId: 'atm', purposeIds: ['balance_alerts', 'offers'] }, (event) => events.push(event));
    const step = await onScreen;
    expect(step).toMatchObject({ flowId: 'atm', purposeIds: ['balance_alerts', 'offers'], locale: 'en', verifiedSubject: { masked: '+••••••••5678' } });
    expect(JSON.stringify(step)).not.toContain('9012345678');
    await call('reportStep', { stepId: step.stepId, event: 'language_changed', locale: 'es' });
    await call('reportStep', { stepId: step.stepId, event: 'idle_warning', secondsLeft: 30 });
    expect(await acceptStep(call, kiosk.profile, step, ['balance_alerts'], 'on_file', 'es')).toMatchObject({ ok: true });

    const result = await outcome;
    expect(result).toMatchObject({ outcome: 'accepted', flowId: 'atm', locale: 'es', subjectSource: 'host_verified' });
    expect(result.outcome === 'accepted' && result.consents.map((consent) => consent.eventId)).toEqual(ledgerIds(kiosk));
    expect(events.map((event) => event.header.name)).toEqual([
      'OptIn.ShownEvent',
      'OptIn.LanguageChangedEvent',
      'OptIn.IdleWarningEvent',
      'OptIn.CustomerChoseEvent',
      'OptIn.RecordedEvent',
    ]);
    expect(events[3]?.payload).toEqual({ choice: 'accept', purposeIds: ['balance_alerts'] });
    const [opening] = [...kiosk.ledger.exportRecords({ personalData: true })].flatMap((record) => (record.record === 'event' ? [record.subject] : []));
    expect(opening).toMatchObject({ phone: PHONE, customerRef: 'card-0042' });
  });

  it('refuses to record purposes it did not offer, and then completes failed without a record', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const onScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en' });
    const outcome = client.offer({ flowId: 'atm', purposeIds: ['balance_alerts'] });
    const step = await onScreen;
    expect(await acceptStep(call, kiosk.profile, step, ['offers'], { typed: '09012345678' })).toMatchObject({ ok: false, error: { code: 'unknown_purpose' } });
    expect(await outcome).toMatchObject({ outcome: 'failed', errorCode: 'notRecorded' });
    expect(ledgerIds(kiosk)).toEqual([]);
  });

  it('tells the host when the step has left the screen, so a CUSS host can transfer back', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const unsolicited: HostUnsolicited[] = [];
    client.onUnsolicited((message) => unsolicited.push(message));
    const onScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en' });
    const outcome = client.offer({ flowId: 'airline' });
    const step = await onScreen;
    await acceptStep(call, kiosk.profile, step, ['delays'], { typed: '09012345678' });
    await outcome;
    await call('reportStep', { stepId: step.stepId, event: 'released' });
    await expect.poll(() => unsolicited.map((message) => message.header.name)).toContain('OptIn.DisplayReleasedEvent');
    expect((await client.status()).state).toBe('busy');
    await client.endSession();
    expect((await client.status()).state).toBe('ready');
  });

  it('tells the shell when a step comes on screen and when it has left, so the window can follow', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const changes: boolean[] = [];
    kiosk.onDisplay((showing) => changes.push(showing));
    const onScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en' });
    const outcome = client.offer({ flowId: 'airline' });
    const step = await onScreen;
    expect(changes).toEqual([true]);
    await call('reportStep', { stepId: step.stepId, event: 'declined', locale: 'en' });
    await outcome;
    expect(changes).toEqual([true, false]);
  });

  it('completes declined and timed_out when the customer says no or walks away, recording nothing', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    await client.beginSession({ locale: 'en' });
    for (const event of ['declined', 'timed_out'] as const) {
      const onScreen = stepOnScreen(call);
      const outcome = client.offer({ flowId: 'airline' });
      const step = await onScreen;
      await call('reportStep', { stepId: step.stepId, event, locale: 'en' });
      expect(await outcome).toMatchObject(event === 'declined' ? { outcome: 'declined' } : { outcome: 'timed_out', by: 'customerIdle' });
    }
    expect(ledgerIds(kiosk)).toEqual([]);
    expect(kiosk.ledger.funnelCounts().map((count) => `${count.outcome} ${count.count}`).sort()).toEqual(
      ['declined 1', 'declined 1', 'declined 1', 'shown 2', 'shown 2', 'shown 2', 'timed_out 1', 'timed_out 1', 'timed_out 1'].sort(),
    );
  });

  it('ends at once when the host cancels it: the screen is wiped and a late Confirm records nothing', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const onScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en', verifiedSubject: { phone: PHONE } });
    const outcome = client.offer({ flowId: 'atm' });
    const step = await onScreen;
    const wiped = call('awaitStep', { known: step.stepId, waitMs: 10_000 });
    await client.cancel();
    expect(await outcome).toMatchObject({ outcome: 'cancelled', by: 'host' });
    expect(await wiped).toMatchObject({ ok: true, value: { step: null } });
    expect(await acceptStep(call, kiosk.profile, step, ['balance_alerts'])).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(ledgerIds(kiosk)).toEqual([]);
  });

  it('wipes the "saved" screen too when the host cancels after the answer (the customer took the card at once)', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const onScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en' });
    const outcome = client.offer({ flowId: 'airline' });
    const step = await onScreen;
    await acceptStep(call, kiosk.profile, step, ['delays'], { typed: '09012345678' });
    expect(await outcome).toMatchObject({ outcome: 'accepted' });
    expect(await call('awaitStep', { known: step.stepId, waitMs: 0 })).toMatchObject({ value: { step: { stepId: step.stepId } } });
    const wiped = call('awaitStep', { known: step.stepId, waitMs: 10_000 });
    await client.cancel();
    expect(await wiped).toMatchObject({ value: { step: null } });
  });

  it('ends timed_out at the host’s deadline (the command header’s timeout)', async () => {
    const { client, call } = await kioskWithHost();
    const onScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en' });
    const started = Date.now();
    const outcome = client.offer({ flowId: 'airline', timeoutMs: 400 });
    const step = await onScreen;
    expect(await outcome).toMatchObject({ outcome: 'timed_out', by: 'deadline' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await call('awaitStep', { known: step.stepId, waitMs: 0 })).toMatchObject({ value: { step: null } });
  });

  it('fails displayUnavailable quickly when no screen shows it, so the host’s transaction goes on', async () => {
    const { client, call } = await kioskWithHost({ hostApi: { showWithinMs: 300 } });
    await client.beginSession({ locale: 'en' });
    expect(await client.offer({ flowId: 'airline' })).toMatchObject({ outcome: 'failed', errorCode: 'displayUnavailable' });
    // A screen that takes the step but never paints it: failed after showWithinMs, and the step is withdrawn.
    const taken = call('awaitStep', { known: null, waitMs: 5_000 });
    const outcome = client.offer({ flowId: 'airline' });
    expect(await taken).toMatchObject({ value: { step: { flowId: 'airline' } } });
    expect(await outcome).toMatchObject({ outcome: 'failed', errorCode: 'displayUnavailable' });
  });
});

describe('commands out of order and bad offers', () => {
  it('answers each with a typed completion and changes nothing', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    expect(await client.offer({ flowId: 'atm' })).toMatchObject({ outcome: 'failed', errorCode: 'sequenceError', sessionId: null });
    await client.beginSession({ locale: 'en', entryPoint: 'atm.after_transaction' });
    await expect(client.beginSession()).rejects.toMatchObject({ name: 'HostApiError', code: 'sequenceError' });
    await expect(client.querySession('A'.repeat(22))).rejects.toMatchObject({ code: 'invalidData' });
    expect(await client.offer({ flowId: 'nope' })).toMatchObject({ outcome: 'failed', errorCode: 'invalidData', errorDescription: 'This kiosk has no flow "nope".' });
    expect(await client.offer({ flowId: 'atm', purposeIds: ['gate_changes'] })).toMatchObject({ errorCode: 'invalidData' });
    expect(await client.offer({ flowId: 'airline' })).toMatchObject({
      errorCode: 'invalidData',
      errorDescription: 'Flow "airline" is offered at "airline.after_boarding_pass", not at "atm.after_transaction".',
    });

    const onScreen = stepOnScreen(call);
    const first = client.offer({ flowId: 'atm' });
    await onScreen;
    expect(await client.offer({ flowId: 'atm' })).toMatchObject({ outcome: 'failed', errorCode: 'sequenceError' });
    await client.endSession();
    expect(await first).toMatchObject({ outcome: 'cancelled', by: 'sessionEnded' });
    await expect(client.beginSession({ locale: 'en' })).resolves.toMatchObject({ sessionId: expect.any(String) });
    expect(ledgerIds(kiosk)).toEqual([]);
  });

  it('does not open a session in a language the terminal does not offer', async () => {
    const kiosk = await startTestHost((profile) => {
      profile.locales = ['ja', 'en'];
      for (const flow of profile.flows) flow.notices = flow.notices.filter((notice) => ['ja', 'en'].includes(notice.locale));
    });
    hosts.push(kiosk);
    const client = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
    clients.push(client);
    await expect(client.beginSession({ locale: 'es' })).rejects.toMatchObject({ code: 'invalidData' });
  });

  it('reports status: degraded while no screen asks for steps, ready once one does, busy in a session', async () => {
    const { client, call } = await kioskWithHost();
    expect(await client.status()).toMatchObject({ state: 'degraded', reasons: ['displayUnavailable'], displayModel: 'transfer', session: null });
    void call('awaitStep', { known: null, waitMs: 2_000 });
    const ready = await client.status();
    expect(ready).toMatchObject({ state: 'ready', reasons: [] });
    expect(ready.flows.map((flow) => [flow.flowId, flow.takesVerifiedSubject])).toEqual([
      ['atm', true],
      ['airline', false],
    ]);
    const { sessionId } = await client.beginSession();
    expect(await client.status()).toMatchObject({ state: 'busy', session: { sessionId, offerOpen: false } });
  });
});

describe('when the host application goes away mid-step', () => {
  it('ends the step safely (screen wiped, nothing recorded) and gives the outcome to the host that reconnects with the session id', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const onScreen = stepOnScreen(call);
    const { sessionId } = await client.beginSession({ locale: 'en', verifiedSubject: { phone: PHONE } });
    const outcome = client.offer({ flowId: 'atm' });
    const step = await onScreen;
    const wiped = call('awaitStep', { known: step.stepId, waitMs: 10_000 });
    await client.close();

    expect(await outcome).toMatchObject({ outcome: 'unknown', reason: 'connectionLost', sessionId });
    expect(await wiped).toMatchObject({ value: { step: null } });
    expect(await acceptStep(call, kiosk.profile, step, ['balance_alerts'])).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(ledgerIds(kiosk)).toEqual([]);

    const back = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile, retryForMs: 5_000 });
    clients.push(back);
    expect(await back.querySession(sessionId)).toMatchObject({
      sessionId,
      active: false,
      lastOffer: { result: { outcome: 'cancelled', by: 'hostDisconnected', sessionId, flowId: 'atm' } },
    });
  });
});

describe('when the kiosk stops mid-step', () => {
  async function offerThenStop() {
    const { kiosk, client, call } = await kioskWithHost();
    const onScreen = stepOnScreen(call);
    const { sessionId } = await client.beginSession({ locale: 'en' });
    const outcome = client.offer({ flowId: 'airline' });
    const step = await onScreen;
    const atOffer = readFileSync(sessionRecordPath(path.join(kiosk.dataDir, 'data')), 'utf8');
    return { kiosk, client, call, sessionId, outcome, step, atOffer };
  }

  async function restart(kiosk: TestHost, whileStopped: () => void = () => {}) {
    await kiosk.close();
    whileStopped();
    const again = await startTestHost(undefined, { dataDir: path.join(kiosk.dataDir, 'data') });
    hosts.push(again);
    const client = await HostClient.connect({ credentialsFile: again.hostApi.credentialsFile, retryForMs: 5_000 });
    clients.push(client);
    return { again, client };
  }

  it('tells the host on reconnect that the step ended with the restart and nothing was recorded', async () => {
    const { kiosk, sessionId, outcome } = await offerThenStop();
    // A sync while the step was on screen signed a clock observation into the chain: that is not the customer's answer.
    observeClock(kiosk.ledger, systemClock);
    const { again, client } = await restart(kiosk);
    expect(await outcome).toMatchObject({ outcome: 'unknown' });
    expect(await client.querySession(sessionId)).toMatchObject({
      active: false,
      lastOffer: { result: { outcome: 'failed', errorCode: 'kioskRestarted', sessionId } },
    });
    expect(ledgerIds(again)).toEqual([]);
  });

  it('tells the host it was accepted when the consent was committed just before the kiosk stopped', async () => {
    const { kiosk, call, sessionId, outcome, step, atOffer } = await offerThenStop();
    await acceptStep(call, kiosk.profile, step, ['gate_changes'], { typed: '09012345678' });
    const committed = ledgerIds(kiosk);
    expect(await outcome).toMatchObject({ outcome: 'accepted' });
    // The accepted consent woke the sync worker, whose clock observation follows it in the chain.
    observeClock(kiosk.ledger, systemClock);
    // What is on disk when the kiosk dies after the commit but before it rewrote its session record.
    const { client } = await restart(kiosk, () => writeFileSync(sessionRecordPath(path.join(kiosk.dataDir, 'data')), atOffer));
    const record = await client.querySession(sessionId);
    expect(record.lastOffer?.result).toMatchObject({ outcome: 'accepted', subjectSource: 'self_entered' });
    expect(record.lastOffer?.result.outcome === 'accepted' && record.lastOffer.result.consents.map((consent) => consent.eventId)).toEqual(committed);
  });
});
