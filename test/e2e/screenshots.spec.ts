import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test, type Kiosk } from './kiosk-fixture.ts';
import { offerStep, openKiosk, tapDigits } from './kiosk-screens.ts';

/** Every screen of the opt-in step of both flows, in every locale, at a portrait check-in kiosk and a 5:4 ATM screen. */
const layouts = {
  portrait: { width: 1080, height: 1920 },
  atm: { width: 1280, height: 1024 },
};
const locales = ['日本語', 'English', 'Español', 'Português (Brasil)', 'Bahasa Indonesia'];
const localeIds = ['ja', 'en', 'es', 'pt-BR', 'id'];

type Step = { name: string; go: (page: Page, kiosk: Kiosk) => Promise<void> };

const click = (name: string) => (page: Page) => page.getByRole('button', { name, exact: true }).click();

const steps: Record<string, Step[]> = {
  atm: [
    { name: 'attract', go: async () => {} },
    { name: 'opt-in-offer', go: async (_page, kiosk) => void (await offerStep(kiosk, 'atm')) },
    { name: 'opt-in-chosen', go: (page) => page.getByRole('checkbox', { name: 'balance alerts' }).check() },
    { name: 'review', go: click('Review') },
    { name: 'saved', go: click('Confirm') },
  ],
  airline: [
    { name: 'attract', go: async () => {} },
    { name: 'opt-in-offer', go: async (_page, kiosk) => void (await offerStep(kiosk, 'airline')) },
    { name: 'nothing-chosen', go: click('Review') },
    { name: 'phone-entry', go: async (page) => {
      await page.getByRole('checkbox', { name: 'gate changes' }).check();
      await page.getByRole('checkbox', { name: 'boarding calls' }).check();
      await click('Review')(page);
      await tapDigits(page, '0908765');
    } },
    { name: 'phone-invalid', go: click('Enter') },
    { name: 'review', go: async (page) => {
      await tapDigits(page, '4321');
      await click('Enter')(page);
    } },
    { name: 'saved', go: click('Confirm') },
  ],
};

for (const [layout, viewport] of Object.entries(layouts)) {
  for (const [flowId, flowSteps] of Object.entries(steps)) {
    test(`screenshots: ${flowId} at the ${layout} layout`, async ({ page, kiosk }) => {
      test.setTimeout(120_000);
      await page.setViewportSize(viewport);
      await openKiosk(page, kiosk);
      for (const [index, step] of flowSteps.entries()) {
        await step.go(page, kiosk);
        for (const [localeIndex, language] of locales.entries()) {
          await page.getByRole('button', { name: language }).click();
          await expect(page.locator('html')).toHaveAttribute('lang', localeIds[localeIndex]!);
          const file = `${String(index).padStart(2, '0')}-${step.name}-${localeIds[localeIndex]}.png`;
          await page.screenshot({ path: path.join('test-results', 'screenshots', layout, flowId, file), animations: 'disabled' });
        }
        await page.getByRole('button', { name: 'English' }).click();
      }
    });
  }
}
