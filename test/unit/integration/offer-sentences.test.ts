import { afterEach, describe, expect, it } from 'vitest';
import type { HostEvent } from '../../../sdk/host-client/index.ts';
import { HostClient } from '../../../sdk/host-client/index.ts';
import { isExportedConsent } from '../../../electron/ledger/event-export.ts';
import type { StepView } from '../../../shared/contract/kiosk-api.ts';
import { RECIPIENT_SLOT, shownSentence } from '../../../shared/wording.ts';
import { stepOnScreen, type KioskCall } from '../../fixtures/offered-step.ts';
import { typedRecipient } from '../../fixtures/shown-sentence.ts';
import { startTestHost } from '../host/host-fixture.ts';
import type { TestHost } from './raw-host.ts';

const hosts: TestHost[] = [];
const clients: HostClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const host of hosts.splice(0)) await host.dispose();
});

async function kioskWithHost() {
  const kiosk = await startTestHost();
  hosts.push(kiosk);
  const client = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
  clients.push(client);
  const call: KioskCall = (method, input) => kiosk.dispatch(method, input);
  return { kiosk, client, call };
}

const atmOf = (kiosk: TestHost) => kiosk.profile.flows.find((flow) => flow.id === 'atm')!;

/** Confirm on the review of the bank's step: the accepted sentences as shown, the declined ones by purpose. */
function confirm(call: KioskCall, kiosk: TestHost, step: StepView, accepted: string[][], declined: string[][], recipient = step.verifiedSubject!.masked) {
  const atm = atmOf(kiosk);
  return call('captureConsent', {
    stepId: step.stepId,
    kind: 'opt_in',
    flowId: 'atm',
    entryPoint: atm.entryPoint,
    locale: 'en',
    consents: accepted.map((purposeIds) => ({ purposeIds, shownText: shownSentence(atm, 'opt_in', purposeIds, 'en', recipient) })),
    ...(declined.length > 0 && { declined: declined.map((purposeIds) => ({ purposeIds })) }),
    subject: { source: 'host_verified', handle: step.verifiedSubject!.handle },
  });
}

async function offerOnScreen(client: HostClient, call: KioskCall, phone: string, events: HostEvent[] = []) {
  const onScreen = stepOnScreen(call);
  await client.beginSession({ locale: 'en', verifiedSubject: { phone } });
  const outcome = client.offer({ flowId: 'atm' }, (event) => events.push(event));
  return { step: await onScreen, outcome };
}

const consentsOf = (kiosk: TestHost) =>
  [...kiosk.ledger.exportRecords({ personalData: false })].flatMap((record) =>
    record.record === 'event' && isExportedConsent(record) ? [record.event] : [],
  );

describe('the sentences of a review', () => {
  it('records service messages accepted and marketing declined, the decline only as a count with nothing personal', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const events: HostEvent[] = [];
    const { step, outcome } = await offerOnScreen(client, call, '+819012345678', events);
    expect(await confirm(call, kiosk, step, [['balance_alerts', 'payment_notices']], [['offers']])).toMatchObject({ ok: true });

    const result = await outcome;
    expect(result).toMatchObject({ outcome: 'accepted', declined: [{ purposeId: 'offers', category: 'marketing' }] });
    expect(result.outcome === 'accepted' && result.consents.map((consent) => consent.purposeId)).toEqual(['balance_alerts', 'payment_notices']);
    expect(consentsOf(kiosk).map((event) => `${event.kind} ${event.purpose.id}`)).toEqual(['opt_in balance_alerts', 'opt_in payment_notices']);
    const declines = kiosk.ledger.funnelCounts().filter((count) => count.outcome === 'declined');
    expect(declines.map((count) => `${count.purposeId} ${count.count}`)).toEqual(['offers 1']);
    expect(JSON.stringify(kiosk.ledger.funnelCounts())).not.toMatch(/5678|•/);
    expect(events.find((event) => event.header.name === 'OptIn.CustomerChoseEvent')?.payload).toEqual({
      choice: 'accept',
      purposeIds: ['balance_alerts', 'payment_notices'],
    });
  });

  it('answers accepted without a declined list when every sentence shown was accepted', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const { step, outcome } = await offerOnScreen(client, call, '+819012345678');
    expect(await confirm(call, kiosk, step, [['balance_alerts'], ['offers']], [])).toMatchObject({ ok: true });
    const result = await outcome;
    expect(result).toMatchObject({ outcome: 'accepted' });
    expect(result).not.toHaveProperty('declined');
  });

  it('refuses a decline of a purpose that was also accepted, or not offered, and records nothing', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const { step } = await offerOnScreen(client, call, '+819012345678');
    expect(await confirm(call, kiosk, step, [['balance_alerts']], [['balance_alerts']])).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(consentsOf(kiosk)).toEqual([]);
  });

  it('signs the same notice text for every customer, the number proven by the encrypted subject alone', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    for (const phone of ['+819012345678', '+818098765432']) {
      const { step, outcome } = await offerOnScreen(client, call, phone);
      expect(await confirm(call, kiosk, step, [['balance_alerts']], [])).toMatchObject({ ok: true });
      const result = await outcome;
      const masked = step.verifiedSubject!.masked;
      expect(result.outcome === 'accepted' && result.receipt?.sentences).toEqual([
        `I agree to receive balance alerts from Sakura Bank on WhatsApp (+81 3 1234 5678) at ${masked}. I can stop at any time by replying STOP on WhatsApp or by choosing “Stop WhatsApp messages” at this ATM.`,
      ]);
      await client.endSession();
    }
    const [first, second] = consentsOf(kiosk);
    expect(first!.notice).toEqual(second!.notice);
    expect(first!.notice.text).toContain(`at ${RECIPIENT_SLOT}.`);
    expect(first!.notice.text).not.toMatch(/9012|8098|•/);
    const openings = [...kiosk.ledger.exportRecords({ personalData: true })].flatMap((record) => (record.record === 'event' && record.subject ? [record.subject.phone] : []));
    expect(openings).toEqual(['+819012345678', '+818098765432']);
  });

  it('refuses a sentence that names another number than the one the messages go to', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const { step } = await offerOnScreen(client, call, '+819012345678');
    expect(await confirm(call, kiosk, step, [['balance_alerts']], [], '+•••••••••4321')).toMatchObject({ ok: false, error: { code: 'notice_mismatch' } });
    expect(consentsOf(kiosk)).toEqual([]);
  });

  it('shows a typed number in full in the sentence but only masked on the receipt the host prints', async () => {
    const { kiosk, client, call } = await kioskWithHost();
    const onScreen = stepOnScreen(call);
    await client.beginSession({ locale: 'en' });
    const outcome = client.offer({ flowId: 'atm' });
    const step = await onScreen;
    const atm = atmOf(kiosk);
    const shownText = shownSentence(atm, 'opt_in', ['balance_alerts'], 'en', typedRecipient('09012345678'));
    expect(shownText).toContain('at +81 90 1234 5678.');
    expect(
      await call('captureConsent', {
        stepId: step.stepId,
        kind: 'opt_in',
        flowId: 'atm',
        entryPoint: atm.entryPoint,
        locale: 'en',
        consents: [{ purposeIds: ['balance_alerts'], shownText }],
        subject: { source: 'self_entered', phone: '09012345678', country: 'JP' },
      }),
    ).toMatchObject({ ok: true });
    const result = await outcome;
    const receipt = result.outcome === 'accepted' ? result.receipt : undefined;
    expect(receipt?.maskedNumber).toBe('+••••••••5678');
    expect(receipt?.sentences[0]).toContain('at +••••••••5678.');
    expect(JSON.stringify(receipt)).not.toContain('90 1234 5678');
    expect(receipt?.howToStop).toBe('Reply STOP to Sakura Bank on WhatsApp (+81 3 1234 5678), or choose “Stop WhatsApp messages” at this ATM, at any time.');
  });
});
