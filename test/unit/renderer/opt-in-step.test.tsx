// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { shownSentence } from '../../../shared/wording.ts';
import type { CaptureResult } from '../../../shared/contract/capture.ts';
import type { KioskResult } from '../../../shared/contract/kiosk-api.ts';
import { demoProfile, failsWith, inMemoryKiosk } from './in-memory-kiosk.ts';
import { showKiosk, showOffer, type KioskScreen } from './screen.tsx';

const atm = demoProfile.flows.find((flow) => flow.id === 'atm')!;
let screen: KioskScreen | undefined;

afterEach(async () => {
  await screen?.unmount();
  screen = undefined;
});

/** The bank's application offers the opt-in after a transaction, in English, with the customer's number on file. */
async function reachAtmOptIn(host: ReturnType<typeof inMemoryKiosk>) {
  screen = await showOffer(host, 'atm');
  return screen;
}

describe('the opt-in step', () => {
  it('names the business and its WhatsApp number, says how to opt out, and tells the host it is shown', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachAtmOptIn(host);
    expect(kiosk.heading()).toBe('Get messages from Sakura Bank on WhatsApp?');
    expect(kiosk.container.textContent).toContain('+81 3 1234 5678');
    expect(kiosk.container.textContent).toContain('reply STOP on WhatsApp');
    expect(kiosk.container.textContent).toContain('+•••••••5678');
    expect(host.reports).toEqual([{ stepId: 'test-step-000001', event: 'shown' }]);
  });

  it.each([
    ['atm', 'en', '“Stop WhatsApp messages” at this ATM.'],
    ['airline', 'en', '“Stop WhatsApp messages” at this kiosk.'],
    ['atm', 'ja', 'このATMの「WhatsAppメッセージの停止」'],
    ['atm', 'es', 'en este cajero.'],
    ['airline', 'pt-BR', 'neste totem.'],
  ] as const)('calls the terminal what it is, in its language: %s in %s', async (flowId, locale, expected) => {
    screen = await showOffer(inMemoryKiosk(), flowId, '', locale);
    expect(screen.container.textContent).toContain(expected);
  });

  it('starts with nothing ticked and will not go on until the person ticks something', async () => {
    const kiosk = await reachAtmOptIn(inMemoryKiosk());
    const boxes = kiosk.all('checkbox') as HTMLInputElement[];
    expect(boxes.map((box) => kiosk.container.contains(box) && box.checked)).toEqual([false, false, false]);
    await kiosk.click('button', 'Review');
    expect(kiosk.get('alert').textContent).toContain('Choose at least one kind of message');
    expect(kiosk.heading()).toBe('Get messages from Sakura Bank on WhatsApp?');
  });

  it('shows the exact sentence from the wording function, naming the number on file masked, and sends exactly that sentence', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachAtmOptIn(host);
    await kiosk.click('checkbox', 'balance alerts');
    await kiosk.click('checkbox', 'payment notices');
    await kiosk.click('button', 'Review');

    const shown = Array.from(kiosk.container.querySelectorAll('.sentence'), (item) => item.textContent);
    const expected = shownSentence(atm, 'opt_in', ['balance_alerts', 'payment_notices'], 'en', '+•••••••5678');
    expect(expected).toContain('on WhatsApp (+81 3 1234 5678) at +•••••••5678.');
    expect(shown).toEqual([expected]);

    await kiosk.click('button', 'Confirm');
    expect(host.captures).toEqual([
      {
        kind: 'opt_in',
        flowId: 'atm',
        entryPoint: 'atm.after_transaction',
        locale: 'en',
        consents: [{ purposeIds: ['balance_alerts', 'payment_notices'], shownText: expected }],
        subject: { source: 'host_verified', handle: 'subject-handle-1' },
        stepId: 'test-step-000001',
      },
    ]);
  });

  it('keeps marketing a separate consent with its own sentence and its own box, neither ticked', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachAtmOptIn(host);
    await kiosk.click('checkbox', 'balance alerts');
    await kiosk.click('checkbox', 'offers');
    await kiosk.click('button', 'Review');

    const service = shownSentence(atm, 'opt_in', ['balance_alerts'], 'en', '+•••••••5678');
    const marketing = shownSentence(atm, 'opt_in', ['offers'], 'en', '+•••••••5678');
    const boxes = kiosk.all('checkbox') as HTMLInputElement[];
    expect(boxes.map((box) => [box.closest('label')?.textContent, box.checked])).toEqual([
      [service, false],
      [marketing, false],
    ]);
    await kiosk.click('button', 'Confirm');
    expect(kiosk.get('alert').textContent).toBe('Tick at least one sentence, or touch “No thanks”.');
    expect(host.captures).toEqual([]);

    await kiosk.click('checkbox', service);
    await kiosk.click('checkbox', marketing);
    await kiosk.click('button', 'Confirm');
    expect(host.captures[0]?.consents).toEqual([
      { purposeIds: ['balance_alerts'], shownText: service },
      { purposeIds: ['offers'], shownText: marketing },
    ]);
    expect(host.captures[0]).not.toHaveProperty('declined');
  });

  it('records service messages accepted and marketing declined when only the service sentence is ticked', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachAtmOptIn(host);
    await kiosk.click('checkbox', 'balance alerts');
    await kiosk.click('checkbox', 'offers');
    await kiosk.click('button', 'Review');
    await kiosk.click('checkbox', shownSentence(atm, 'opt_in', ['balance_alerts'], 'en', '+•••••••5678'));
    await kiosk.click('button', 'Confirm');

    expect(host.captures).toHaveLength(1);
    expect(host.captures[0]).toMatchObject({
      consents: [{ purposeIds: ['balance_alerts'], shownText: shownSentence(atm, 'opt_in', ['balance_alerts'], 'en', '+•••••••5678') }],
      declined: [{ purposeIds: ['offers'] }],
    });
    expect(kiosk.heading()).toBe('Your choice is saved');
    const receipt = kiosk.container.querySelector('.receipt')?.textContent ?? '';
    expect(receipt).toContain('balance alerts');
    expect(receipt).not.toContain('offers');
  });

  it('puts how to stop on the receipt as its own line, in the customer’s language', async () => {
    const kiosk = await reachAtmOptIn(inMemoryKiosk());
    await kiosk.click('checkbox', 'balance alerts');
    await kiosk.click('button', 'Review');
    await kiosk.click('button', 'Confirm');
    const terms = Array.from(kiosk.container.querySelectorAll('.receipt dt'), (term) => term.textContent);
    expect(terms).toEqual(['Messages', 'To', 'Recorded', 'How to stop']);
    expect(kiosk.container.querySelector('.receipt dt:last-of-type + dd')?.textContent).toBe(
      'Reply STOP to Sakura Bank on WhatsApp (+81 3 1234 5678), or choose “Stop WhatsApp messages” at this ATM, at any time.',
    );
  });

  it('says "saved" only once the host reports the durable commit', async () => {
    let commit: (result: KioskResult<CaptureResult>) => void = () => {};
    const host = inMemoryKiosk({ capture: () => new Promise((resolve) => (commit = resolve)) });
    const kiosk = await reachAtmOptIn(host);
    await kiosk.click('checkbox', 'payment notices');
    await kiosk.click('button', 'Review');
    await kiosk.click('button', 'Confirm');
    expect(kiosk.heading()).toBe('Saving your choice…');
    expect(kiosk.container.textContent).not.toContain('Your choice is saved');

    await act(async () => commit({ ok: true, value: { events: [], committedAt: '2026-11-01T09:00:00.000Z' } }));
    expect(kiosk.heading()).toBe('Your choice is saved');
    await kiosk.click('button', 'Continue');
    expect(kiosk.heading()).toBe('いらっしゃいませ');
    expect(host.reports.map((report) => report.event)).toEqual(['shown', 'released']);
  });

  it('says plainly that nothing was recorded when the disk is full, and lets the transaction go on', async () => {
    const kiosk = await reachAtmOptIn(inMemoryKiosk({ capture: failsWith('storage_full') }));
    await kiosk.click('checkbox', 'balance alerts');
    await kiosk.click('button', 'Review');
    await kiosk.click('button', 'Confirm');
    expect(kiosk.heading()).toBe('Your choice was not saved');
    expect(kiosk.container.textContent).toContain(
      'We couldn’t save your choice on this machine. Nothing was recorded. Your transaction continues.',
    );
    await kiosk.click('button', 'Continue');
    expect(kiosk.heading()).toBe('いらっしゃいませ');
  });

  it('reports "No thanks" as a decline and hands the screen straight back', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachAtmOptIn(host);
    await kiosk.click('button', 'No thanks');
    expect(host.reports).toEqual([
      { stepId: 'test-step-000001', event: 'shown' },
      { stepId: 'test-step-000001', event: 'declined', locale: 'en' },
    ]);
    expect(host.captures).toEqual([]);
    expect(kiosk.heading()).toBe('いらっしゃいませ');
  });

  it('offers only the purposes the terminal’s application asked for', async () => {
    const host = inMemoryKiosk();
    screen = await showKiosk(host.api);
    await act(async () => {
      const step = host.offer('atm');
      step.purposeIds = ['balance_alerts'];
    });
    expect((screen.all('checkbox') as HTMLInputElement[]).map((box) => box.closest('label')?.textContent?.trim())).toEqual(['balance alerts']);
  });

  it('wipes the step at once when the terminal’s application cancels it, leaving nothing typed on the page', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachAtmOptIn(host);
    await kiosk.click('checkbox', 'balance alerts');
    await kiosk.click('button', 'Use a different number');
    await kiosk.click('button', 'Review');
    await kiosk.type('08011112222');
    expect(kiosk.container.innerHTML).toContain('080-1111-2222');
    await act(async () => host.end());
    expect(kiosk.heading()).toBe('いらっしゃいませ');
    expect(document.body.innerHTML).not.toMatch(/1111|2222|5678/);
    expect(host.captures).toEqual([]);
  });

  it('lets the customer use a different number than the one on file, sent as self-entered', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachAtmOptIn(host);
    await kiosk.click('checkbox', 'balance alerts');
    await kiosk.click('button', 'Use a different number');
    await kiosk.click('button', 'Review');
    expect(kiosk.heading()).toBe('Enter your mobile number');
    await kiosk.type('08011112222');
    await kiosk.press('Enter');
    expect(kiosk.container.textContent).toContain('Messages will go to +81 80 1111 2222.');
    await kiosk.click('button', 'Confirm');
    expect(host.captures[0]?.subject).toEqual({ source: 'self_entered', phone: '+818011112222', country: 'JP' });
  });
});
