// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { sentenceForTyped } from '../../fixtures/shown-sentence.ts';
import { demoProfile, inMemoryKiosk } from './in-memory-kiosk.ts';
import { showKiosk, type KioskScreen } from './screen.tsx';

let screen: KioskScreen | undefined;

afterEach(async () => {
  await screen?.unmount();
  screen = undefined;
});

describe('"Stop WhatsApp messages" from the attract screen', () => {
  it('records an opt-out for the chosen business and purposes with the sentence shown', async () => {
    const host = inMemoryKiosk();
    screen = await showKiosk(host.api);
    await screen.click('button', 'English');
    await screen.click('button', 'Stop WhatsApp messages');
    await screen.type('09012345678');
    await screen.press('Enter');
    await screen.click('button', 'Sakura Bank');
    expect((screen.all('checkbox') as HTMLInputElement[]).some((box) => box.checked)).toBe(false);
    await screen.click('checkbox', 'offers');
    await screen.click('button', 'Review');
    const atm = demoProfile.flows.find((flow) => flow.id === 'atm')!;
    const sentence = sentenceForTyped(atm, 'opt_out', ['offers'], 'en', '09012345678');
    expect(sentence).toContain('at +81 90 1234 5678.');
    expect(screen.container.querySelector('.sentence')?.textContent).toBe(sentence);
    await screen.click('button', 'Confirm');
    expect(host.captures).toEqual([
      {
        kind: 'opt_out',
        flowId: 'atm',
        entryPoint: 'atm.stop_messages',
        locale: 'en',
        consents: [{ purposeIds: ['offers'], shownText: sentence }],
        subject: { source: 'self_entered', phone: '+819012345678', country: 'JP' },
      },
    ]);
    expect(screen.heading()).toBe('Messages stopped');
    await screen.click('button', 'Finish');
    expect(screen.get('button', 'WhatsAppメッセージの停止')).toBeTruthy();
  });
});

describe('the demo profile', () => {
  it('tells the person how to opt out in every notice, in every language', () => {
    for (const flow of demoProfile.flows) {
      expect(flow.notices.map((notice) => notice.locale).sort()).toEqual([...demoProfile.locales].sort());
      for (const notice of flow.notices) expect(notice.optIn).toContain('STOP');
      for (const purpose of flow.purposes) expect(Object.keys(purpose.label).sort()).toEqual([...demoProfile.locales].sort());
    }
  });
});
