import type { Page } from '@playwright/test';
import { RECIPIENT_SLOT, sentenceShownTo } from '../../shared/wording.ts';
import { expect, test } from './kiosk-fixture.ts';
import { expectOptIn, ledgerEvents, ledgerSubjects, offerStep, openKiosk, shownSentences, tapDigits } from './kiosk-screens.ts';

/**
 * What the customer reads and accepts on the review, and what is recorded of it: the sentence names the number the
 * messages go to (masked when the bank has it on file), a service and a marketing sentence are each accepted on
 * their own, and the number's country is chosen by touch or from the keypad alone (with speech on).
 */
const MASKED = '+••••••••5678';

test('names the number on file, masked, in each sentence; records service accepted and marketing declined as such', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  const { outcome } = await offerStep(kiosk, 'atm');
  await expectOptIn(page, 'atm');
  await page.getByRole('checkbox', { name: 'balance alerts' }).check();
  await page.getByRole('checkbox', { name: 'offers' }).check();
  await page.getByRole('button', { name: 'Review' }).click();

  const [service, marketing] = await shownSentences(page);
  expect(service).toBe(
    `I agree to receive balance alerts from Sakura Bank on WhatsApp (+81 3 1234 5678) at ${MASKED}. I can stop at any time by replying STOP on WhatsApp or by choosing “Stop WhatsApp messages” at this ATM.`,
  );
  expect(marketing).toContain(`I agree to receive offers from Sakura Bank on WhatsApp (+81 3 1234 5678) at ${MASKED}.`);
  expect(await page.content()).not.toContain('9012345678');

  // Two boxes, neither ticked; Confirm with none ticked records nothing.
  const boxes = page.locator('.sentences').getByRole('checkbox');
  await expect(boxes).toHaveCount(2);
  for (const box of await boxes.all()) await expect(box).not.toBeChecked();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('alert')).toHaveText('Tick at least one sentence, or touch “No thanks”.');
  expect(ledgerEvents(kiosk.ledger)).toEqual([]);

  await page.getByRole('checkbox', { name: service! }).check();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('heading', { name: 'Your choice is saved' })).toBeVisible();

  const events = ledgerEvents(kiosk.ledger);
  expect(events.map((event) => `${event.kind} ${event.purpose.id}`)).toEqual(['opt_in balance_alerts']);
  // The signed notice is the same for every customer; what this one saw is it with their number masked in it.
  expect(events[0]!.notice.text).toContain(`at ${RECIPIENT_SLOT}.`);
  expect(sentenceShownTo(events[0]!.notice.text, MASKED)).toBe(service);
  expect(ledgerSubjects(kiosk.ledger)).toEqual(['+819012345678']);
  expect(kiosk.ledger.funnelCounts().filter((count) => count.outcome === 'declined')).toEqual([
    expect.objectContaining({ flowId: 'atm', purposeId: 'offers', locale: 'en', count: 1 }),
  ]);
  const result = await outcome;
  expect(result).toMatchObject({
    outcome: 'accepted',
    consents: [{ purposeId: 'balance_alerts', category: 'utility', eventId: events[0]!.id }],
    declined: [{ purposeId: 'offers', category: 'marketing' }],
    receipt: { purposes: [{ purposeId: 'balance_alerts' }], sentences: [service] },
  });
  await expect(page.getByRole('region', { name: 'Your receipt' })).not.toContainText('offers');
});

/** The airline's step up to its number screen. */
async function toNumberScreen(page: Page, kiosk: Parameters<typeof offerStep>[0]) {
  await openKiosk(page, kiosk);
  const host = await offerStep(kiosk, 'airline');
  await expectOptIn(page, 'airline');
  await page.getByRole('checkbox', { name: 'gate changes' }).check();
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByRole('heading', { name: 'Enter your mobile number' })).toBeVisible();
  return host;
}

test('a Spanish number by touch: the profile’s countries first, then a letter and its pages', async ({ page, kiosk }) => {
  await page.setViewportSize({ width: 1080, height: 1920 });
  const { outcome } = await toNumberScreen(page, kiosk);
  await page.getByRole('button', { name: 'Country: Japan (+81)' }).click();
  await expect(page.getByRole('heading', { name: 'Choose the country of your number' })).toBeVisible();
  const listed = page.getByRole('group', { name: 'Countries' }).getByRole('button');
  await expect(listed).toHaveText(['Japan +81', 'United States +1', 'China +86', 'South Korea +82', 'Taiwan +886', 'United Kingdom +44']);

  await page.getByRole('button', { name: 'S', exact: true }).click();
  await expect(page.getByRole('button', { name: 'S', exact: true })).toHaveAttribute('aria-pressed', 'true');
  const spain = page.getByRole('button', { name: 'Spain +34' });
  for (let turn = 0; turn < 5 && !(await spain.isVisible()); turn++) await page.getByRole('button', { name: /^Next page/ }).click();
  await spain.click();

  await expect(page.getByRole('button', { name: 'Country: Spain (+34)' })).toBeVisible();
  await tapDigits(page, '612345678');
  await page.getByRole('button', { name: 'Enter', exact: true }).click();
  const [sentence] = await shownSentences(page);
  expect(sentence).toContain('on WhatsApp (+81 3 6234 5678) at +34 612 34 56 78.');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('heading', { name: 'Your choice is saved' })).toBeVisible();
  expect(ledgerSubjects(kiosk.ledger)).toEqual(['+34612345678']);
  expect(await outcome).toMatchObject({ outcome: 'accepted', subjectSource: 'self_entered', receipt: { maskedNumber: '+•••••••5678' } });
});

type Utterance = { text: string; lang: string };

test('a British number from the keypad alone, with speech: the calling code typed, the country moved to and chosen', async ({ page, kiosk }) => {
  await page.addInitScript(() => {
    const spoken: Utterance[] = [];
    Object.defineProperty(globalThis, 'spoken', { value: spoken });
    Object.defineProperty(globalThis, 'speechSynthesis', { value: { speak: (utterance: Utterance) => spoken.push({ text: utterance.text, lang: utterance.lang }), cancel: () => {} } });
  });
  const said = async () => ((await page.evaluate('window.spoken.slice()')) as Utterance[]).map((utterance) => utterance.text);
  const moveTo = async (name: string | RegExp) => {
    for (let press = 0; press < 30; press++) {
      await page.keyboard.press('ArrowDown');
      const last = (await said()).at(-1) ?? '';
      if (typeof name === 'string' ? last === name : name.test(last)) return;
    }
    throw new Error(`no control said ${String(name)}; last said: ${(await said()).at(-1)}`);
  };

  await openKiosk(page, kiosk);
  const { outcome } = await offerStep(kiosk, 'airline');
  await expectOptIn(page, 'airline');
  await page.keyboard.press('F1');
  await moveTo('gate changes, not ticked');
  await page.keyboard.press('Enter');
  await moveTo('Review');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await said()).at(-1)).toMatch(/^Enter your mobile number/);

  await moveTo('Country: Japan (+81)');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await said()).at(-1)).toMatch(/^Choose the country of your number\. Touch your country/);
  await page.keyboard.type('44');
  await expect(page.getByRole('status').filter({ hasText: 'Calling code' })).toHaveText('Calling code +44: 4 countries');
  await moveTo('United Kingdom +44');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await said()).at(-1)).toMatch(/^Enter your mobile number/);

  await page.keyboard.type('07400123456');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await said()).at(-1)).toMatch(/^Check and confirm\. .*at \+44 7400 123456\..*Messages will go to \+44 7400 123456/);
  await moveTo('Confirm');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await said()).at(-1)).toMatch(/^Your choice is saved/);
  expect(ledgerSubjects(kiosk.ledger)).toEqual(['+447400123456']);
  expect(await outcome).toMatchObject({ outcome: 'accepted' });
});
