import { expect, test } from './kiosk-fixture.ts';
import { expectOptIn, offerStep, openKiosk } from './kiosk-screens.ts';

test('each business\'s step wears its own brand (logo, colours, typeface), and high contrast replaces it', async ({ page, kiosk }) => {
  await openKiosk(page, kiosk);
  const bank = await offerStep(kiosk, 'atm');
  await expectOptIn(page, 'atm');
  await expect(page.getByRole('img', { name: 'Sakura Bank' })).toBeVisible();
  const review = page.getByRole('button', { name: 'Review', exact: true });
  await expect(review).toHaveCSS('background-color', 'rgb(163, 22, 79)');
  await expect(page.locator('body')).toHaveCSS('font-family', /^"Noto Serif CJK JP"/);
  await page.getByRole('button', { name: 'High contrast' }).click();
  await expect(review).toHaveCSS('background-color', 'rgb(255, 255, 0)');
  await page.getByRole('button', { name: 'No thanks' }).click();
  await bank.outcome;

  await bank.client.endSession();
  await bank.client.beginSession({ locale: 'en' });
  void bank.client.offer({ flowId: 'airline' });
  await expectOptIn(page, 'airline');
  await expect(page.getByRole('img', { name: 'Sora Airlines' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Review', exact: true })).toHaveCSS('background-color', 'rgb(11, 74, 132)');
  await expect(page.locator('body')).toHaveCSS('font-family', /^"Liberation Sans"/);
});
