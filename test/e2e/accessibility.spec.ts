import { writeFileSync, mkdirSync } from 'node:fs';
import axe from 'axe-core';
import type { Page } from '@playwright/test';
import { expect, startKiosk, test as base, type Kiosk } from './kiosk-fixture.ts';
import { offerStep, openKiosk, tapDigits } from './kiosk-screens.ts';

/**
 * Every screen of both flows and of "Stop WhatsApp messages", in every locale and display mode, audited by axe-core
 * (WCAG 2.2 A and AA) and measured from the laid-out page: no scrollbar, every control the customer must press above
 * the fold and at least 44×44 CSS px, the keypad's keys larger. One page per flow, walked once; each screen is
 * audited in all 15 locale × mode combinations before going on. Deliberate exceptions: docs/ui.md.
 */
const languages = ['日本語', 'English', 'Español', 'Português (Brasil)', 'Bahasa Indonesia'];
const modes = ['plain', 'contrast', 'largeText'] as const;
type Mode = (typeof modes)[number];

/**
 * The page is a single-page app: axe is injected once and run in place for each of the 15 combinations (AxeBuilder
 * would inject its 500 kB again each time). meta-viewport is the one rule left out, deliberately (docs/ui.md).
 */
const AXE_OPTIONS = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  rules: { 'meta-viewport': { enabled: false } },
};
type Violation = { id: string; nodes: Array<{ target: string[] }> };

async function audit(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axe.source);
  return page.evaluate(`window.axe.run(document, ${JSON.stringify(AXE_OPTIONS)}).then((result) => result.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => ({ target: n.target })) })))`);
}

/** WCAG 2.5.5 (AAA) and ADA 2010 §707 push kiosks well past WCAG 2.2's 24 px: 44 px, 72 px on the keypad. */
const TARGET_PX = 44;
const KEY_PX = 72;

/** What a customer sees: the demo profile without its example host, so without the demonstration's sync line. */
const test = base.extend<{ customerKiosk: Kiosk }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  customerKiosk: async ({}, use) => {
    const kiosk = await startKiosk((profile) => delete profile.hostIntegration.demoHost);
    await use(kiosk);
    await kiosk.dispose();
  },
});

type Screen = { name: string; go: (page: Page, kiosk: Kiosk) => Promise<void> };
const click = (name: string) => (page: Page) => page.getByRole('button', { name, exact: true }).click();

const walks: Record<string, { viewport: { width: number; height: number }; screens: Screen[] }> = {
  // The bank's flow on a 5:4 ATM screen, the airline's on a portrait check-in kiosk.
  atm: {
    viewport: { width: 1280, height: 1024 },
    screens: [
      { name: 'attract', go: async () => {} },
      { name: 'opt-in offer', go: async (_page, kiosk) => void (await offerStep(kiosk, 'atm')) },
      { name: 'nothing chosen', go: click('Review') },
      { name: 'opt-in chosen', go: (page) => page.getByRole('checkbox', { name: 'balance alerts' }).check() },
      { name: 'review', go: click('Review') },
      {
        name: 'review, two sentences',
        go: async (page) => {
          await click('Change')(page);
          await page.getByRole('checkbox', { name: 'offers' }).check();
          await click('Review')(page);
          await click('Confirm')(page);
        },
      },
      { name: 'saved', go: (page) => page.locator('.sentences').getByRole('checkbox').first().check().then(() => click('Confirm')(page)) },
    ],
  },
  airline: {
    viewport: { width: 1080, height: 1920 },
    screens: [
      { name: 'opt-in offer', go: async (_page, kiosk) => void (await offerStep(kiosk, 'airline')) },
      {
        name: 'phone entry',
        go: async (page) => {
          await page.getByRole('checkbox', { name: 'gate changes' }).check();
          await click('Review')(page);
          await tapDigits(page, '0908765');
        },
      },
      { name: 'country picker', go: (page) => page.getByRole('button', { name: /^Country:/ }).click() },
      { name: 'country picker, a letter', go: click('S') },
      {
        name: 'phone invalid',
        go: async (page) => {
          await click('Back to the number')(page);
          await click('Enter')(page);
        },
      },
      {
        name: 'review',
        go: async (page) => {
          await tapDigits(page, '4321');
          await click('Enter')(page);
        },
      },
      { name: 'saved', go: click('Confirm') },
    ],
  },
  'stop messages': {
    viewport: { width: 1280, height: 1024 },
    screens: [
      { name: 'number', go: click('Stop WhatsApp messages') },
      {
        name: 'business',
        go: async (page) => {
          await tapDigits(page, '09012345678');
          await click('Enter')(page);
        },
      },
      { name: 'purposes', go: click('Sakura Bank') },
      { name: 'idle warning', go: async () => {} },
    ],
  },
};

async function setMode(page: Page, mode: Mode): Promise<void> {
  // By position, not name: the toggles are named in the screen's language.
  const toggles = page.locator('.display-toggles button');
  const want = { contrast: mode === 'contrast', largeText: mode === 'largeText' };
  for (const [index, key] of (['contrast', 'largeText'] as const).entries()) {
    const toggle = toggles.nth(index);
    if ((await toggle.getAttribute('aria-pressed')) !== String(want[key])) await toggle.click();
  }
  await expect(page.locator('html')).toHaveClass(mode === 'plain' ? /^(?!.*(high-contrast|large-text)).*$/ : mode === 'contrast' ? /high-contrast/ : /large-text/);
}

type Measured = { scrolls: boolean; controls: Array<{ name: string; width: number; height: number; bottom: number; key: boolean }>; viewportHeight: number };

/** Every enabled control a customer may press, as laid out: its box (a checkbox counts with its label row). */
function measure(page: Page): Promise<Measured> {
  return page.evaluate(`(() => {
    const root = document.documentElement;
    const scope = document.querySelector('[role="alertdialog"]') ?? document.body;
    const controls = Array.from(scope.querySelectorAll('button, input, select, [role="button"], [role="combobox"]'))
      .filter((element) => !element.closest('[inert]') && !element.disabled && element.getClientRects().length > 0)
      .map((element) => {
        const target = element.matches('input[type="checkbox"]') ? element.closest('label') ?? element : element;
        const box = target.getBoundingClientRect();
        const name = (element.getAttribute('aria-label') ?? element.textContent ?? element.tagName).trim().slice(0, 40);
        return { name, width: box.width, height: box.height, bottom: box.bottom, key: element.classList.contains('key') };
      });
    return { scrolls: root.scrollHeight > root.clientHeight || root.scrollWidth > root.clientWidth, controls, viewportHeight: innerHeight };
  })()`) as Promise<Measured>;
}

for (const [walk, { viewport, screens }] of Object.entries(walks)) {
  test(`accessibility: every ${walk} screen in every locale and display mode has no axe violation, fits the screen and has large targets`, async ({ page, customerKiosk: kiosk }) => {
    test.setTimeout(240_000);
    await page.setViewportSize(viewport);
    // A colour is measured where it ends, not in the middle of a control's 80 ms transition after a tap.
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await openKiosk(page, kiosk, walk === 'stop messages' ? { idle: '20,20' } : {});
    await page.getByRole('button', { name: 'English', exact: true }).click();
    const problems: string[] = [];
    for (const screen of screens) {
      if (screen.name === 'idle warning') await expect(page.getByRole('alertdialog')).toBeVisible({ timeout: 30_000 });
      else await screen.go(page, kiosk);
      for (const language of languages) {
        if (screen.name !== 'idle warning') await page.getByRole('button', { name: language, exact: true }).click();
        for (const mode of modes) {
          if (screen.name !== 'idle warning') await setMode(page, mode);
          const where = `${walk} / ${screen.name} / ${language} / ${mode}`;
          const before = problems.length;
          for (const violation of await audit(page)) {
            problems.push(`${where}: ${violation.id} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
          }
          const laidOut = await measure(page);
          if (laidOut.scrolls) problems.push(`${where}: the page scrolls`);
          for (const control of laidOut.controls) {
            const least = control.key ? KEY_PX : TARGET_PX;
            if (control.width < least || control.height < least) {
              problems.push(`${where}: "${control.name}" is ${control.width.toFixed(0)}×${control.height.toFixed(0)} px (at least ${least})`);
            }
            if (control.bottom > laidOut.viewportHeight + 0.5) problems.push(`${where}: "${control.name}" is below the fold`);
          }
          if (process.env.A11Y_SHOTS && problems.length > before) await page.screenshot({ path: `test-results/a11y/${where.replace(/[ /]+/g, '-')}.png` });
          if (screen.name === 'idle warning') break;
        }
        if (screen.name === 'idle warning') break;
      }
      await page.getByRole('button', { name: 'English', exact: true }).click().catch(() => undefined);
      await setMode(page, 'plain').catch(() => undefined);
    }
    mkdirSync('test-results', { recursive: true });
    writeFileSync(`test-results/accessibility-${walk.replace(' ', '-')}.txt`, problems.join('\n'));
    expect(problems, problems.join('\n')).toEqual([]);
  });
}
