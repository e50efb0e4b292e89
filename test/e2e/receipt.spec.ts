import { expect, test } from './kiosk-fixture.ts';
import { expectOptIn, offerStep, openKiosk, shownSentences, tickEverySentence } from './kiosk-screens.ts';

test('the customer leaves with a receipt: on screen, and in the accepted outcome for the host\'s printer, the number masked and how to stop its own field', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  const { client, outcome } = await offerStep(kiosk, 'atm');
  await expectOptIn(page, 'atm');
  await page.getByRole('checkbox', { name: 'balance alerts' }).check();
  await page.getByRole('checkbox', { name: 'offers' }).check();
  await page.getByRole('button', { name: 'Review' }).click();
  const sentences = await shownSentences(page);
  await tickEverySentence(page);
  await page.getByRole('button', { name: 'Confirm' }).click();

  const onScreen = page.getByRole('region', { name: 'Your receipt' });
  await expect(onScreen).toContainText('balance alerts and offers');
  await expect(onScreen).toContainText('+••••••••5678');
  const howToStop = 'Reply STOP to Sakura Bank on WhatsApp (+81 3 1234 5678), or choose “Stop WhatsApp messages” at this ATM, at any time.';
  await expect(onScreen.getByRole('term').last()).toHaveText('How to stop');
  await expect(onScreen.getByRole('definition').last()).toHaveText(howToStop);

  const result = await outcome;
  expect(result).toMatchObject({
    outcome: 'accepted',
    receipt: {
      business: 'Sakura Bank',
      purposes: [
        { purposeId: 'balance_alerts', label: 'balance alerts' },
        { purposeId: 'offers', label: 'offers' },
      ],
      maskedNumber: '+••••••••5678',
      sentences,
      howToStop,
    },
  });
  expect(JSON.stringify(result)).not.toContain('9012345678');
  // Read back later, the outcome holds no personal data: no receipt.
  const readBack = await client.querySession((result as { sessionId: string }).sessionId);
  expect(JSON.stringify(readBack)).not.toContain('receipt');
});
