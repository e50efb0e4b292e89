import { expect, test } from './kiosk-fixture.ts';
import {
  ATM_CUSTOMER_PHONE,
  businessOf,
  expectOptIn,
  ledgerEvents,
  ledgerSubjects,
  numberField,
  offerStep,
  openKiosk,
  rawLedgerBytes,
  shownSentences,
  tapDigits,
  tickEverySentence,
} from './kiosk-screens.ts';
import { recipientOnScreen, sentenceShownTo } from '../../shared/wording.ts';

/**
 * The opt-in step itself, offered by a host application through the real Host Integration API (the host client
 * in this test process over a real WebSocket), and answered in real Chromium. The example host processes drive
 * it in example-hosts.spec.ts.
 */
const SIMULATED_ATM_DIGITS = ATM_CUSTOMER_PHONE.slice(3);
const TYPED = { keys: '09087654321', e164: '+819087654321', digits: '9087654321' };
const firstUtility: Record<string, string> = { atm: 'balance alerts', airline: 'gate changes' };

for (const flowId of ['atm', 'airline']) {
  test.describe(`the ${flowId} flow`, () => {
    test('records one signed event per chosen purpose, with the sentence shown, after Confirm', async ({ page, kiosk }) => {
      await openKiosk(page, kiosk);
      const host = await offerStep(kiosk, flowId);
      await expectOptIn(page, flowId);
      await page.getByRole('checkbox', { name: firstUtility[flowId] }).check();
      if (flowId === 'atm') await page.getByRole('checkbox', { name: 'offers' }).check();
      await page.getByRole('button', { name: 'Review' }).click();
      if (flowId === 'airline') {
        await tapDigits(page, TYPED.keys);
        await page.getByRole('button', { name: 'Enter', exact: true }).click();
      }
      const sentences = await shownSentences(page);
      expect(sentences).toHaveLength(flowId === 'atm' ? 2 : 1);
      await tickEverySentence(page);
      await page.getByRole('button', { name: 'Confirm' }).click();
      await expect(page.getByRole('heading', { name: 'Your choice is saved' })).toBeVisible();

      const events = ledgerEvents(kiosk.ledger);
      expect(events.map((event) => event.purpose.id)).toEqual(flowId === 'atm' ? ['balance_alerts', 'offers'] : ['gate_changes']);
      // Signed with the number's place held, shown with the number as the screen names it (docs/event-format.md).
      const recipient = flowId === 'atm' ? recipientOnScreen('host_verified', ATM_CUSTOMER_PHONE) : recipientOnScreen('self_entered', TYPED.e164);
      expect(events.map((event) => sentenceShownTo(event.notice.text, recipient))).toEqual(sentences);
      for (const event of events) {
        expect(event).toMatchObject({ kind: 'opt_in', flowId, business: { name: businessOf[flowId] }, notice: { locale: 'en' } });
        expect(event.subject.source).toBe(flowId === 'atm' ? 'host_verified' : 'self_entered');
      }
      expect(kiosk.ledger.verify()).toMatchObject({ ok: true });
      expect(ledgerSubjects(kiosk.ledger)).toEqual(events.map(() => (flowId === 'atm' ? ATM_CUSTOMER_PHONE : TYPED.e164)));
      expect(await host.outcome).toMatchObject({ outcome: 'accepted', consents: events.map((event) => ({ eventId: event.id })) });

      await page.getByRole('button', { name: 'Continue' }).click();
      await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止' })).toBeVisible();
    });

    test('stores nothing personal when the person declines', async ({ page, kiosk }) => {
      await openKiosk(page, kiosk);
      const host = await offerStep(kiosk, flowId);
      await expectOptIn(page, flowId);
      await page.getByRole('checkbox', { name: firstUtility[flowId] }).check();
      await page.getByRole('button', { name: 'Review' }).click();
      if (flowId === 'airline') {
        await tapDigits(page, TYPED.keys);
        await page.getByRole('button', { name: 'Enter', exact: true }).click();
        await expect(page.getByText(/Messages will go to/)).toBeVisible();
      }
      await page.getByRole('button', { name: 'No thanks' }).click();
      await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止' })).toBeVisible();
      expect(await host.outcome).toMatchObject({ outcome: 'declined', flowId });

      expect(ledgerEvents(kiosk.ledger)).toEqual([]);
      expect(kiosk.ledger.funnelCounts()).toEqual(expect.arrayContaining([expect.objectContaining({ flowId, outcome: 'declined', count: 1 })]));
      const bytes = rawLedgerBytes(kiosk.dataDir);
      expect(bytes).not.toContain(TYPED.digits);
      expect(bytes).not.toContain(SIMULATED_ATM_DIGITS);
    });

    test('starts over after inactivity, wiping what was typed, and counts a time-out', async ({ page, kiosk }) => {
      await openKiosk(page, kiosk, { idle: '2,1' });
      const host = await offerStep(kiosk, flowId);
      await expectOptIn(page, flowId);
      await page.getByRole('checkbox', { name: firstUtility[flowId] }).check();
      if (flowId === 'atm') await page.getByRole('button', { name: 'Use a different number' }).click();
      await page.getByRole('button', { name: 'Review' }).click();
      await tapDigits(page, '0908');
      await expect(numberField(page)).toHaveValue(/\d/);
      await expect(page.getByRole('alertdialog', { name: 'Are you still there?' })).toBeVisible({ timeout: 5_000 });
      // Back on the attract screen, in the terminal's own language again.
      await expect(page.getByRole('button', { name: '日本語' })).toHaveAttribute('aria-pressed', 'true', { timeout: 5_000 });
      expect(await host.outcome).toMatchObject({ outcome: 'timed_out', by: 'customerIdle' });

      expect(kiosk.ledger.funnelCounts()).toEqual(expect.arrayContaining([expect.objectContaining({ flowId, outcome: 'timed_out', count: 1 })]));
      expect(ledgerEvents(kiosk.ledger)).toEqual([]);
      expect(await page.content()).not.toContain('0908');

      await host.client.endSession();
      await host.client.beginSession({ locale: 'en', ...(flowId === 'atm' ? { verifiedSubject: { phone: ATM_CUSTOMER_PHONE } } : {}) });
      const next = host.client.offer({ flowId });
      await expectOptIn(page, flowId);
      await expect(page.getByRole('checkbox', { name: firstUtility[flowId] })).not.toBeChecked();
      await page.getByRole('checkbox', { name: firstUtility[flowId] }).check();
      if (flowId === 'atm') await page.getByRole('button', { name: 'Use a different number' }).click();
      await page.getByRole('button', { name: 'Review' }).click();
      await expect(numberField(page)).toHaveValue('');
      await host.client.cancel();
      expect(await next).toMatchObject({ outcome: 'cancelled', by: 'host' });
    });
  });
}

test('offers the ATM customer’s number on file only masked, and lets them type another', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  const host = await offerStep(kiosk, 'atm');
  await expectOptIn(page, 'atm');
  await expect(page.getByText('•••••5678')).toBeVisible();
  await expect(page.getByText(SIMULATED_ATM_DIGITS)).toHaveCount(0);
  expect(await page.content()).not.toContain(SIMULATED_ATM_DIGITS);

  await page.getByRole('checkbox', { name: 'payment notices' }).check();
  await page.getByRole('button', { name: 'Use a different number' }).click();
  await page.getByRole('button', { name: 'Review' }).click();
  await tapDigits(page, TYPED.keys);
  await page.getByRole('button', { name: 'Enter', exact: true }).click();
  await shownSentences(page);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('heading', { name: 'Your choice is saved' })).toBeVisible();

  const [event, ...others] = ledgerEvents(kiosk.ledger);
  expect(others).toEqual([]);
  expect(event?.subject.source).toBe('self_entered');
  expect(ledgerSubjects(kiosk.ledger)).toEqual([TYPED.e164]);
  expect(await host.outcome).toMatchObject({ outcome: 'accepted', subjectSource: 'self_entered' });
});

test('refuses numbers that cannot get WhatsApp messages and accepts a corrected one', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  await offerStep(kiosk, 'airline');
  await expectOptIn(page, 'airline');
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByRole('alert')).toHaveText('Choose at least one kind of message, or touch “No thanks”.');
  await page.getByRole('checkbox', { name: 'delays' }).check();
  await page.getByRole('button', { name: 'Review' }).click();

  for (const wrong of ['12345', '0312345678']) {
    await page.getByRole('button', { name: 'Clear' }).click();
    await tapDigits(page, wrong);
    await page.getByRole('button', { name: 'Enter', exact: true }).click();
    await expect(page.getByRole('alert')).toContainText('That is not a mobile number in Japan');
    await expect(numberField(page)).toHaveAttribute('aria-invalid', 'true');
  }
  await page.getByRole('button', { name: 'Clear' }).click();
  await tapDigits(page, TYPED.keys);
  await page.getByRole('button', { name: 'Enter', exact: true }).click();
  await expect(page.getByText(/Messages will go to \+81 90/)).toBeVisible();
  expect(ledgerEvents(kiosk.ledger)).toEqual([]);
});

test('takes the number from a physical keyboard too: digits, Back (Backspace), Clear (Delete) and Enter', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  await offerStep(kiosk, 'airline');
  await expectOptIn(page, 'airline');
  await page.getByRole('checkbox', { name: 'boarding calls' }).check();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.type('0311');
  await page.keyboard.press('Delete');
  await expect(numberField(page)).toHaveValue('');
  await page.keyboard.type(`${TYPED.keys}9`);
  await page.keyboard.press('Backspace');
  await expect(numberField(page)).toHaveValue(/^090[- ]?8765[- ]?4321$/);
  await page.keyboard.press('Enter');
  await shownSentences(page);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('heading', { name: 'Your choice is saved' })).toBeVisible();
  expect(ledgerSubjects(kiosk.ledger)).toEqual([TYPED.e164]);
});

test('switches language mid-step, keeping the number typed, and records the sentence in the new language', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  const host = await offerStep(kiosk, 'airline');
  await expectOptIn(page, 'airline');
  await page.getByRole('checkbox', { name: 'gate changes' }).check();
  await page.getByRole('button', { name: 'Review' }).click();
  await tapDigits(page, '090');
  await page.getByRole('button', { name: 'Español' }).click();
  await expect(numberField(page)).toHaveValue(/^090/);
  await tapDigits(page, '87654321');
  await page.getByRole('button', { name: '日本語' }).click();
  await page.locator('.keypad .key-enter').click();
  const sentences = await page.locator('.sentences > li').allInnerTexts();
  expect(sentences).toHaveLength(1);
  expect(sentences[0]).toContain('Sora Airlines');
  await page.locator('.review .button.primary').click();
  await expect(page.locator('.outcome.saved')).toBeVisible();
  const [event] = ledgerEvents(kiosk.ledger);
  expect(event?.notice.locale).toBe('ja');
  expect(sentenceShownTo(event!.notice.text, recipientOnScreen('self_entered', TYPED.e164))).toBe(sentences[0]);
  expect(await host.outcome).toMatchObject({ outcome: 'accepted', locale: 'ja' });
});

test('opens the step in the language of the host’s session', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  await offerStep(kiosk, 'atm', { locale: 'pt-BR' });
  await expect(page.getByRole('heading', { name: 'Receber mensagens de Sakura Bank pelo WhatsApp?' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Português (Brasil)' })).toHaveAttribute('aria-pressed', 'true');
});

test('records an opt-out asked for on the kiosk’s own screen, without any host application', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('button', { name: 'Stop WhatsApp messages' }).click();
  await tapDigits(page, TYPED.keys);
  await page.getByRole('button', { name: 'Enter', exact: true }).click();
  await page.getByRole('button', { name: 'Sora Airlines' }).click();
  await page.getByRole('checkbox', { name: 'delays' }).check();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('heading', { name: 'Messages stopped' })).toBeVisible();
  const [event] = ledgerEvents(kiosk.ledger);
  expect(event).toMatchObject({ kind: 'opt_out', flowId: 'airline', entryPoint: 'kiosk.stop_messages', purpose: { id: 'delays' } });
});
