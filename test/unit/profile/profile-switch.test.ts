import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostClient } from '../../../sdk/host-client/index.ts';
import type { Profile } from '../../../shared/contract/profile.ts';
import type { StepView } from '../../../shared/contract/kiosk-api.ts';
import { LAST_GOOD_PROFILE_FILE } from '../../../electron/profile/profile-in-force.ts';
import { acceptStep, stepOnScreen, type KioskCall } from '../../fixtures/offered-step.ts';
import { demoProfile, signedForTest } from '../../fixtures/signed-profile.ts';
import { startTestHost } from '../host/host-fixture.ts';

const PHONE = '+819012345678';
type Kiosk = Awaited<ReturnType<typeof startTestHost>>;

const kiosks: Kiosk[] = [];
const clients: HostClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const kiosk of kiosks.splice(0)) await kiosk.dispose();
});

/** The demo profile with the bank's English opt-in sentence ending in `mark`. */
const reworded = (mark: string): Profile => {
  const profile = demoProfile();
  for (const flow of profile.flows) for (const notice of flow.notices) notice.optIn = `${notice.optIn} ${mark}`;
  return profile;
};

async function kioskWithHost() {
  const kiosk = await startTestHost();
  kiosks.push(kiosk);
  const client = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
  clients.push(client);
  const call: KioskCall = (method, input) => kiosk.dispatch(method, input);
  return { kiosk, client, call };
}

const serviceEvents = (kiosk: Kiosk) =>
  [...kiosk.ledger.exportRecords({ personalData: false })].flatMap((record) =>
    record.record === 'event' && record.event.v === 2 && record.event.type === 'service' ? [record.event] : [],
  );
const sentenceOf = (kiosk: Kiosk, eventId: string) =>
  [...kiosk.ledger.exportRecords({ personalData: false })].flatMap((record) =>
    record.record === 'event' && record.event.id === eventId && 'notice' in record.event ? [record.event.notice.text] : [],
  )[0];

const waitFor = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('a profile from the central API', () => {
  it('waits for the customer at the terminal to finish with the wording they started with; the next customer gets the new one', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const switches = kiosk.profileSwitch;

    // customer 1 is in the step when the new profile arrives
    const onScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en', verifiedSubject: { phone: PHONE } });
    const outcome = client.offer({ flowId: 'atm', purposeIds: ['balance_alerts'] });
    const first = await onScreen;
    const newer = signedForTest(reworded('(rev 2)'), { revision: 2 });
    switches.offer(newer);
    // accepted and kept as the last good profile at once, so a restart comes up with it …
    expect(JSON.parse(readFileSync(path.join(kiosk.dataDir, 'data', LAST_GOOD_PROFILE_FILE), 'utf8'))).toEqual(newer);
    // … but not on screen while a customer is there
    expect(switches.revision()).toBe(1);
    expect(switches.waiting()).toBe(2);
    const before = await call('getProfile', {});
    expect(JSON.stringify(before.value)).not.toContain('(rev 2)');
    const captured = await acceptStep(call, switches.profile(), first, ['balance_alerts']);
    expect(captured).toMatchObject({ ok: true });
    const accepted = await outcome;
    const firstEventId = accepted.outcome === 'accepted' ? accepted.consents[0]!.eventId : '';
    expect(sentenceOf(kiosk, firstEventId)).not.toContain('(rev 2)');
    expect(switches.revision()).toBe(1);

    // the step's last screen goes, the session ends: between customers, the switch happens
    await call('reportStep', { stepId: first.stepId, event: 'released' });
    await client.endSession();
    await waitFor(() => switches.revision() === 2, 'the switch to revision 2');
    const poll = await call('awaitStep', { known: null, knownProfile: 1, waitMs: 0 });
    expect(poll.value).toMatchObject({ step: null, profileRevision: 2 });
    expect(JSON.stringify((await call('getProfile', {})).value)).toContain('(rev 2)');

    // customer 2 sees, and agrees to, the new wording
    const nextOnScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en', verifiedSubject: { phone: PHONE } });
    const nextOutcome = client.offer({ flowId: 'atm', purposeIds: ['balance_alerts'] });
    const second: StepView = await nextOnScreen;
    expect(await acceptStep(call, switches.profile(), second, ['balance_alerts'])).toMatchObject({ ok: true });
    const nextAccepted = await nextOutcome;
    expect(sentenceOf(kiosk, nextAccepted.outcome === 'accepted' ? nextAccepted.consents[0]!.eventId : '')).toContain('(rev 2)');

    expect(serviceEvents(kiosk)).toEqual([expect.objectContaining({ action: 'profile_switched', outcome: 'done', session: null, detail: expect.stringContaining('revision 1 → 2') })]);
  });

  it('refuses a tampered profile the API serves, keeps the last good one in force, and records the refusal once', async () => {
    const { kiosk } = await kioskWithHost();
    const tampered = signedForTest(reworded('(rev 2)'), { revision: 2 });
    (tampered.signed.profile as Profile).flows[0]!.business.name = 'Not Sakura Bank';
    kiosk.profileSwitch.offer(tampered);
    kiosk.profileSwitch.offer(tampered);
    kiosk.profileSwitch.offer({ flows: [] });
    const older = signedForTest(reworded('(rev 0)'), { revision: 1 });
    kiosk.profileSwitch.offer(older);

    expect(kiosk.profileSwitch.revision()).toBe(1);
    expect(kiosk.profileSwitch.waiting()).toBeNull();
    expect(kiosk.profileSwitch.profile().flows[0]!.business.name).toBe('Sakura Bank');
    expect(kiosk.profileGuard.describe().refused).toMatch(/^The profile from the central API claims revision 1, which is in force with other content.*The last good profile, revision 1, stays in force\.$/);
    expect(serviceEvents(kiosk).map((event) => [event.action, event.outcome, event.detail.split(':')[0]])).toEqual([
      ['profile_refused', 'failed', 'The profile from the central API was changed after it was signed'],
      ['profile_refused', 'failed', 'The profile from the central API is not signed'],
      ['profile_refused', 'failed', 'The profile from the central API claims revision 1, which is in force with other content'],
    ]);
  });
});
