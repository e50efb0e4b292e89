import type { Page } from '@playwright/test';
import { startExample, type ExampleName, type RunningExample } from '../fixtures/example-host.ts';
import { expect, test, type Kiosk } from './kiosk-fixture.ts';
import { expectOptIn, exportedEventIds, ledgerEvents, openKiosk, rawLedgerBytes, tapDigits, tickEverySentence } from './kiosk-screens.ts';

/**
 * The example host applications, each in its own process with its own page, invoke the opt-in step through the
 * Host Integration API; the test plays the customer on both screens in real Chromium.
 */
async function startHost(kiosk: Kiosk, name: ExampleName, env: NodeJS.ProcessEnv = {}): Promise<RunningExample> {
  const example = await startExample(name, kiosk.hostApi.credentialsFile, env);
  kiosk.cleanUp(() => example.stop());
  return example;
}

/** At the bank's screen: card, PIN, a withdrawal, Continue: the bank's application offers the step. */
async function withdrawAtAtm(atm: Page, example: RunningExample): Promise<void> {
  await atm.goto(example.url);
  await atm.getByRole('button', { name: 'Insert card' }).click();
  await atm.getByLabel('PIN').fill('4321');
  await atm.getByRole('button', { name: 'Enter' }).click();
  await atm.getByRole('button', { name: 'Withdrawal' }).click();
  await expect(atm.getByText('Please take your cash: ¥20,000.')).toBeVisible();
  await atm.getByRole('button', { name: 'Continue' }).click();
  await expect(atm.getByRole('heading', { name: 'One more question' })).toBeVisible();
}

test.describe('the example ATM host', () => {
  test('receives accepted with the event ids kioskctl export shows', async ({ page, hostScreen: atm, kiosk }) => {
    const example = await startHost(kiosk, 'atm-host');
    await openKiosk(page, kiosk);
    await withdrawAtAtm(atm, example);

    await expectOptIn(page, 'atm');
    await expect(page.getByText('•••••5678')).toBeVisible();
    await page.getByRole('checkbox', { name: 'balance alerts' }).check();
    await page.getByRole('checkbox', { name: 'offers' }).check();
    await page.getByRole('button', { name: 'Review' }).click();
    await tickEverySentence(page);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect(page.getByRole('heading', { name: 'Your choice is saved' })).toBeVisible();

    const completion = await example.completion();
    expect(completion).toMatchObject({ outcome: 'accepted', flowId: 'atm', subjectSource: 'host_verified', locale: 'en' });
    const ids = completion.outcome === 'accepted' ? completion.consents.map((consent) => consent.eventId) : [];
    expect(ids).toHaveLength(2);
    expect(exportedEventIds(kiosk.dataDir)).toEqual(ids);
    expect(example.events()).toEqual(['OptIn.ShownEvent', 'OptIn.CustomerChoseEvent', 'OptIn.RecordedEvent']);

    await expect(atm.getByRole('heading', { name: 'Please take your card and receipt' })).toBeVisible();
    await expect(atm.getByRole('status')).toContainText('WhatsApp messages on: balance alerts, offers');
    await expect(atm.getByRole('status')).toContainText('To stop: Reply STOP to Sakura Bank on WhatsApp (+81 3 1234 5678), or choose “Stop WhatsApp messages” at this ATM, at any time.');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止' })).toBeVisible();
  });

  test('receives declined, and the ledger holds nothing', async ({ page, hostScreen: atm, kiosk }) => {
    const example = await startHost(kiosk, 'atm-host');
    await openKiosk(page, kiosk);
    await withdrawAtAtm(atm, example);
    await expectOptIn(page, 'atm');
    await page.getByRole('button', { name: 'No thanks' }).click();

    expect(await example.completion()).toMatchObject({ outcome: 'declined', flowId: 'atm' });
    await expect(atm.getByRole('status')).toContainText('no change (declined)');
    expect(ledgerEvents(kiosk.ledger)).toEqual([]);
    expect(rawLedgerBytes(kiosk.dataDir)).not.toContain('9012345678');
  });

  test('receives timed_out when the customer walks away from the step', async ({ page, hostScreen: atm, kiosk }) => {
    const example = await startHost(kiosk, 'atm-host');
    await openKiosk(page, kiosk, { idle: '2,1' });
    await withdrawAtAtm(atm, example);
    // The customer walks away: nothing is touched, the idle warning comes and goes, the step resets.
    await expectOptIn(page, 'atm');

    expect(await example.completion()).toMatchObject({ outcome: 'timed_out', by: 'customerIdle' });
    expect(example.events()).toEqual(['OptIn.ShownEvent', 'OptIn.IdleWarningEvent']);
    await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止' })).toBeVisible();
    expect(ledgerEvents(kiosk.ledger)).toEqual([]);
  });

  test('receives timed_out when its own deadline for the step passes, and the step leaves the screen', async ({ page, hostScreen: atm, kiosk }) => {
    const example = await startHost(kiosk, 'atm-host', { EXAMPLE_OFFER_TIMEOUT_MS: '3000' });
    await openKiosk(page, kiosk);
    await withdrawAtAtm(atm, example);
    await expectOptIn(page, 'atm');

    expect(await example.completion()).toMatchObject({ outcome: 'timed_out', by: 'deadline' });
    await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止' })).toBeVisible();
    expect(await page.content()).not.toContain('5678');
  });

  test('cancels mid-step when the card is taken: the screen is wiped, nothing personal is left in the page or the ledger', async ({
    page,
    hostScreen: atm,
    kiosk,
  }) => {
    const example = await startHost(kiosk, 'atm-host');
    await openKiosk(page, kiosk);
    await withdrawAtAtm(atm, example);
    await expectOptIn(page, 'atm');
    await page.getByRole('checkbox', { name: 'payment notices' }).check();
    await page.getByRole('button', { name: 'Use a different number' }).click();
    await page.getByRole('button', { name: 'Review' }).click();
    await tapDigits(page, '0908765');
    await expect(page.getByRole('textbox')).toHaveValue(/090/);

    await atm.getByRole('button', { name: 'Take card and leave' }).click();
    expect(await example.completion()).toMatchObject({ outcome: 'cancelled', by: 'host' });
    await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止' })).toBeVisible();
    const dom = await page.content();
    expect(dom).not.toMatch(/0908|8765|5678/);
    expect(ledgerEvents(kiosk.ledger)).toEqual([]);
    expect(kiosk.ledger.funnelCounts().filter((count) => count.outcome !== 'shown')).toEqual([]);
    await expect(atm.getByRole('button', { name: 'Insert card' })).toBeVisible();
  });
});

test('the example check-in host gets accepted for the number the passenger types', async ({ page, hostScreen: checkin, kiosk }) => {
  const example = await startHost(kiosk, 'checkin-host');
  await openKiosk(page, kiosk);
  await checkin.goto(example.url);
  await checkin.getByRole('button', { name: '日本語' }).click();
  await checkin.getByRole('textbox', { name: 'Booking reference' }).fill('k7q2xd');
  await checkin.getByRole('button', { name: 'Find booking' }).click();
  await checkin.getByRole('button', { name: 'Check in' }).click();
  await checkin.getByRole('button', { name: 'Continue' }).click();

  await expect(page.getByRole('heading', { name: 'Sora Airlinesからのお知らせをWhatsAppで受け取りますか？' })).toBeVisible();
  await page.getByRole('button', { name: 'English' }).click();
  await expectOptIn(page, 'airline');
  await page.getByRole('checkbox', { name: 'gate changes' }).check();
  await page.getByRole('button', { name: 'Review' }).click();
  await tapDigits(page, '09087654321');
  await page.getByRole('button', { name: 'Enter', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();

  const completion = await example.completion();
  expect(completion).toMatchObject({ outcome: 'accepted', flowId: 'airline', subjectSource: 'self_entered', locale: 'en' });
  expect(example.events()).toEqual(['OptIn.ShownEvent', 'OptIn.LanguageChangedEvent', 'OptIn.CustomerChoseEvent', 'OptIn.RecordedEvent']);
  expect(exportedEventIds(kiosk.dataDir)).toEqual(completion.outcome === 'accepted' ? completion.consents.map((consent) => consent.eventId) : []);
  await expect(checkin.getByRole('status')).toContainText('WhatsApp messages on: gate changes');
});
