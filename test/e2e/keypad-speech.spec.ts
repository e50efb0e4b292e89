import type { Page } from '@playwright/test';
import { startExample } from '../fixtures/example-host.ts';
import { expect, test } from './kiosk-fixture.ts';
import { ATM_CUSTOMER_PHONE, expectOptIn, ledgerEvents, ledgerSubjects, numberField, offerStep, openKiosk } from './kiosk-screens.ts';

/**
 * The whole ATM and check-in flows from the keypad alone, with private listening on: no touch, no mouse. What is
 * asserted is what the kiosk handed to the browser's speechSynthesis: a recording stand-in replaces it before the
 * page loads (the platform's edge; whether sound reaches the headphones is not verified here).
 */
type Utterance = { text: string; lang: string };

/** `cancel()` is recorded too, as `{ text: '(cancel)' }`: it is how the kiosk stops speaking. */
async function recordSpeech(page: Page): Promise<() => Promise<Utterance[]>> {
  await page.addInitScript(() => {
    const spoken: Array<{ text: string; lang: string }> = [];
    Object.defineProperty(globalThis, 'spoken', { value: spoken });
    Object.defineProperty(globalThis, 'speechSynthesis', {
      value: {
        speak: (utterance: { text: string; lang: string }) => spoken.push({ text: utterance.text, lang: utterance.lang }),
        cancel: () => spoken.push({ text: '(cancel)', lang: '' }),
      },
    });
  });
  return async () => ((await page.evaluate('window.spoken.slice()')) as Utterance[]).filter((utterance) => utterance.text !== '(cancel)');
}

const cancels = async (page: Page) => ((await page.evaluate('window.spoken.slice()')) as Utterance[]).filter((utterance) => utterance.text === '(cancel)').length;

/** Presses ArrowDown until the control said last is `name`, as a listener would (at most 20 presses). */
async function moveTo(page: Page, spoken: () => Promise<Utterance[]>, name: string | RegExp): Promise<void> {
  for (let press = 0; press < 20; press++) {
    await page.keyboard.press('ArrowDown');
    const last = (await spoken()).at(-1)?.text ?? '';
    if (typeof name === 'string' ? last === name : name.test(last)) return;
  }
  throw new Error(`no control said ${String(name)}; last said: ${(await spoken()).at(-1)?.text}`);
}

const saidSince = async (spoken: () => Promise<Utterance[]>, from: number) => (await spoken()).slice(from);

test('the ATM flow by keypad alone, in Japanese, with every screen, purpose and control spoken in Japanese', async ({ page, kiosk }) => {
  const spoken = await recordSpeech(page);
  await openKiosk(page, kiosk);
  const { outcome } = await offerStep(kiosk, 'atm', { locale: 'ja' });
  await expect(page.getByRole('heading', { name: 'Sakura Bankからのお知らせをWhatsAppで受け取りますか？' })).toBeVisible();

  await page.keyboard.press('F1');
  await expect.poll(async () => (await spoken()).at(-1)?.text).toMatch(/^Sakura Bankからのお知らせをWhatsAppで受け取りますか？.*残高のお知らせ.*キャンペーンや特典のご案内/);
  await moveTo(page, spoken, '残高のお知らせ, チェックなし');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await spoken()).at(-1)?.text).toBe('残高のお知らせ, チェックあり');
  await moveTo(page, spoken, '確認へ進む');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await spoken()).at(-1)?.text).toMatch(/^内容を確認してください.*Sakura Bank.*残高のお知らせ/);
  await moveTo(page, spoken, '同意する');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await spoken()).at(-1)?.text).toMatch(/^ご選択を保存しました/);
  expect(new Set((await spoken()).map((utterance) => utterance.lang))).toEqual(new Set(['ja']));

  expect(await outcome).toMatchObject({ outcome: 'accepted' });
  expect(ledgerEvents(kiosk.ledger).map((event) => event.purpose.id)).toEqual(['balance_alerts']);
  expect(ledgerSubjects(kiosk.ledger)).toEqual([ATM_CUSTOMER_PHONE]);
  await moveTo(page, spoken, '続ける');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止' })).toBeVisible();
});

test('the check-in flow by keypad alone: digits, a refused number, Clear and Enter are spoken; the screen blanks for privacy', async ({ page, kiosk }) => {
  const spoken = await recordSpeech(page);
  await openKiosk(page, kiosk);
  await offerStep(kiosk, 'airline');
  await expectOptIn(page, 'airline');

  await page.keyboard.press('F1');
  await page.keyboard.press('F2');
  await expect(page.locator('html')).toHaveClass(/screen-blank/);
  await expect(page.locator('#root')).toHaveCSS('opacity', '0');

  await moveTo(page, spoken, 'gate changes, not ticked');
  await page.keyboard.press('Enter');
  await moveTo(page, spoken, 'Review');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await spoken()).at(-1)?.text).toMatch(/^Enter your mobile number/);

  let from = (await spoken()).length;
  await page.keyboard.type('0311');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await saidSince(spoken, from)).map((utterance) => utterance.text)).toEqual(['0', '3', '1', '1', expect.stringMatching(/^That is not a mobile number in Japan/)]);
  await page.keyboard.press('Delete');
  await expect(numberField(page)).toHaveValue('');

  from = (await spoken()).length;
  await page.keyboard.type('09087654321');
  await expect.poll(async () => (await saidSince(spoken, from)).map((utterance) => utterance.text).join('')).toBe('09087654321');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await spoken()).at(-1)?.text).toMatch(/^Check and confirm.*gate changes.*Messages will go to \+81 90 8765 4321/);
  await moveTo(page, spoken, 'Confirm');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await spoken()).at(-1)?.text).toMatch(/^Your choice is saved/);
  expect(ledgerSubjects(kiosk.ledger)).toEqual(['+819087654321']);

  await page.keyboard.press('F2');
  await expect(page.locator('#root')).toHaveCSS('opacity', '1');
});

test('Cancel on the keypad leaves the offer with nothing recorded', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  const { outcome } = await offerStep(kiosk, 'atm');
  await expectOptIn(page, 'atm');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('checkbox', { name: 'balance alerts' })).toBeChecked();
  await page.keyboard.press('Escape');
  expect(await outcome).toMatchObject({ outcome: 'declined' });
  await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止' })).toBeVisible();
  expect(ledgerEvents(kiosk.ledger)).toEqual([]);
});

test('headphones plugged in at the example ATM start speech in the screen’s language and offer the blank; pulled out, speech stops and the screen shows', async ({ page, hostScreen: atm, kiosk }) => {
  const spoken = await recordSpeech(page);
  const example = await startExample('atm-host', kiosk.hostApi.credentialsFile);
  kiosk.cleanUp(() => example.stop());
  await openKiosk(page, kiosk);
  await atm.goto(example.url);
  expect(await spoken()).toEqual([]);

  // At the kiosk's own screen (Japanese, its default), before any card: the jack needs no session.
  await atm.getByRole('button', { name: 'Plug in headphones' }).click();
  await expect(atm.getByRole('button', { name: 'Unplug headphones' })).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(async () => (await spoken()).map((utterance) => utterance.text)).toEqual([
    expect.stringMatching(/^ヘッドホンが接続されました。.*F2/),
    expect.stringMatching(/^いらっしゃいませ/),
  ]);
  expect(new Set((await spoken()).map((utterance) => utterance.lang))).toEqual(new Set(['ja']));
  await expect(page.getByRole('button', { name: '音声ガイド' })).toHaveAttribute('aria-pressed', 'true');

  // The customer picks English at the ATM and withdraws: the step is read in English, without a key pressed.
  await atm.getByRole('button', { name: 'English' }).click();
  await atm.getByRole('button', { name: 'Insert card' }).click();
  await atm.getByLabel('PIN').fill('4321');
  await atm.getByRole('button', { name: 'Enter' }).click();
  await atm.getByRole('button', { name: 'Withdrawal' }).click();
  await atm.getByRole('button', { name: 'Continue' }).click();
  await expect.poll(async () => (await spoken()).at(-1)).toEqual({ text: expect.stringMatching(/^Get messages from Sakura Bank on WhatsApp\?.*balance alerts/), lang: 'en' });

  await page.keyboard.press('F2');
  await expect(page.locator('#root')).toHaveCSS('opacity', '0');
  await moveTo(page, spoken, 'balance alerts, not ticked');

  const before = await cancels(page);
  await atm.getByRole('button', { name: 'Unplug headphones' }).click();
  await expect.poll(() => cancels(page)).toBeGreaterThan(before);
  await expect(page.locator('#root')).toHaveCSS('opacity', '1');
  await expect(page.getByRole('button', { name: 'Audio guidance' })).toHaveAttribute('aria-pressed', 'false');
  const said = (await spoken()).length;
  // The keypad still works, silently: ticking the purpose that has focus says nothing any more.
  await page.keyboard.press('Enter');
  await expect(page.getByRole('checkbox', { name: 'balance alerts' })).toBeChecked();
  await page.keyboard.press('ArrowDown');
  expect((await spoken()).length).toBe(said);
});
