import { expect, test } from './kiosk-fixture.ts';
import { expectOptIn, offerStep, openKiosk, shownSentences } from './kiosk-screens.ts';

test('the customer leaves with a receipt: on screen, and in the accepted outcome for the host\'s printer, the number masked', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  const { client, outcome } = await offerStep(kiosk, 'atm');
  await expectOptIn(page, 'atm');
  await page.getByRole('checkbox', { name: 'balance alerts' }).check();
  await page.getByRole('checkbox', { name: 'offers' }).check();
  await page.getByRole('button', { name: 'Review' }).click();
  const sentences = await shownSentences(page);
  await page.getByRole('button', { name: 'Confirm' }).click();

  const onScreen = page.getByRole('region', { name: 'Your receipt' });
  await expect(onScreen).toContainText('balance alerts and offers');
  await expect(onScreen).toContainText('+••••••••5678');
  await expect(page.getByText(/reply STOP on WhatsApp/)).toBeVisible();

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
    },
  });
  expect(JSON.stringify(result)).not.toContain('9012345678');
  // Read back later, the outcome holds no personal data: no receipt.
  const readBack = await client.querySession((result as { sessionId: string }).sessionId);
  expect(JSON.stringify(readBack)).not.toContain('receipt');
});
