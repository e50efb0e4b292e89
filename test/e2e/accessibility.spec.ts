import { writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import axe from 'axe-core';
import { test, type Page } from '@playwright/test';
import type { Profile } from '../../shared/contract/profile.ts';
import { provisionTechnician } from '../fixtures/technicians.ts';
import { expect, startKiosk, type Kiosk } from './kiosk-fixture.ts';
import type { HostClient } from '../../sdk/host-client/index.ts';
import { offerStep, openKiosk, tapDigits } from './kiosk-screens.ts';

/**
 * Every screen of both flows, of "Stop WhatsApp messages" for each business, of the demonstration terminal (its
 * sync footer) and of technician mode, in every locale, display mode and orientation, audited by axe-core (WCAG 2.2
 * A and AA) and measured from the laid-out page: no scrollbar, every control the customer must press above the fold
 * and at least 44×44 CSS px, the keypad's keys larger. One page per walk, walked once; each screen is audited in all
 * 30 orientation × locale × mode combinations before going on (the viewport is resized in place: the step stays).
 * Both businesses' brands are drawn: each on its own step, the bank's between steps on the customer's terminal and
 * the airline's on the demonstration terminal. Deliberate exceptions: docs/ui.md.
 */
const languages = ['日本語', 'English', 'Español', 'Português (Brasil)', 'Bahasa Indonesia'];
const modes = ['plain', 'contrast', 'largeText'] as const;
type Mode = (typeof modes)[number];
/** The bank's 5:4 ATM screen and a portrait check-in kiosk; both flows are walked on both. */
const orientations = { landscape: { width: 1280, height: 1024 }, portrait: { width: 1080, height: 1920 } };

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
  // Colours are measured as the customer sees them once the screen has settled, not between two frames of a change.
  await page.evaluate('Promise.all(document.getAnimations().map((animation) => animation.finished)).then(() => new Promise(requestAnimationFrame))');
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axe.source);
  return page.evaluate(`window.axe.run(document, ${JSON.stringify(AXE_OPTIONS)}).then((result) => result.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => ({ target: n.target })) })))`);
}

/** WCAG 2.5.5 (AAA) and ADA 2010 §707 push kiosks well past WCAG 2.2's 24 px: 44 px, 72 px on the keypad. */
const TARGET_PX = 44;
const KEY_PX = 72;

type Technician = ReturnType<typeof provisionTechnician>;
/** `scrolls`: a screen allowed to be longer than the display (the one named in docs/ui.md). */
type Screen = { name: string; go: (page: Page, kiosk: Kiosk, technician: Technician) => Promise<void>; scrolls?: true };
const click = (name: string) => (page: Page) => page.getByRole('button', { name, exact: true }).click();

/** What a customer sees: the demo profile without its example host, so without the demonstration's sync line. */
const customerTerminal = (profile: Profile) => void delete profile.hostIntegration.demoHost;
/** The demonstration terminal with the airline's flow first, so between steps the airline's brand is drawn. */
const airlineDemoTerminal: typeof customerTerminal = (profile) => void profile.flows.reverse();

/** The bank's application in the demonstration walk, which ends its customer's session before the technician comes. */
let bank: HostClient | null = null;

const stopFor = (business: string) => async (page: Page) => {
  await click('Stop WhatsApp messages')(page);
  await tapDigits(page, '09012345678');
  await click('Enter')(page);
  await click(business)(page);
};

const walks: Record<string, { terminal: typeof customerTerminal; query?: Record<string, string>; screens: Screen[] }> = {
  atm: {
    terminal: customerTerminal,
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
    terminal: customerTerminal,
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
    terminal: customerTerminal,
    query: { idle: '45,20' },
    screens: [
      { name: 'number', go: click('Stop WhatsApp messages') },
      {
        name: 'business',
        go: async (page) => {
          await tapDigits(page, '09012345678');
          await click('Enter')(page);
        },
      },
      { name: 'purposes (Sakura Bank)', go: click('Sakura Bank') },
      {
        name: 'purposes (Sora Airlines)',
        go: async (page) => {
          // Cancel leaves for the attract screen, in the terminal's default language.
          await page.keyboard.press('Escape');
          await click('English')(page);
          await stopFor('Sora Airlines')(page);
        },
      },
      { name: 'idle warning', go: async () => {} },
    ],
  },
  'demo terminal and technician': {
    terminal: airlineDemoTerminal,
    screens: [
      { name: 'attract with the sync footer', go: async () => {} },
      {
        name: 'bank offer with the sync footer',
        go: async (_page, kiosk) => {
          bank = (await offerStep(kiosk, 'atm')).client;
        },
      },
      {
        name: 'technician sign-in',
        go: async (page) => {
          // Technician mode opens only once the customer's session is over.
          await click('No thanks')(page);
          await bank?.endSession();
          for (let tap = 0; tap < 5; tap += 1) await page.locator('.service-corner').click();
          await expect(page.locator('.kiosk-technician')).toBeVisible();
        },
      },
      {
        name: 'diagnostics',
        scrolls: true,
        go: async (page, _kiosk, technician) => {
          await tapDigits(page, technician.code());
          await page.locator('.key-enter').click();
          await expect(page.locator('.diagnostics-list')).toBeVisible();
        },
      },
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

for (const [walk, { terminal, query, screens }] of Object.entries(walks)) {
  test(`accessibility: every ${walk} screen in every locale, display mode and orientation has no axe violation, fits the screen and has large targets`, async ({ page }) => {
    test.setTimeout(480_000);
    const technician = provisionTechnician(mkdtempSync(path.join(tmpdir(), 'a11y-technicians-')));
    const kiosk = await startKiosk(terminal, undefined, { technician: { file: technician.file } });
    try {
      await walkScreens(page, kiosk, technician, walk, screens, query);
    } finally {
      await kiosk.dispose();
    }
  });
}

/** Everything wrong with the screen as it is now: axe's violations, a scrollbar, small or hidden controls. */
async function problemsHere(page: Page, where: string, mayScroll = false): Promise<string[]> {
  const problems = (await audit(page)).map((violation) => `${where}: ${violation.id} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
  const laidOut = await measure(page);
  if (laidOut.scrolls && !mayScroll) problems.push(`${where}: the page scrolls`);
  for (const control of laidOut.controls) {
    const least = control.key ? KEY_PX : TARGET_PX;
    if (control.width < least || control.height < least) {
      problems.push(`${where}: "${control.name}" is ${control.width.toFixed(0)}×${control.height.toFixed(0)} px (at least ${least})`);
    }
    if (control.bottom > laidOut.viewportHeight + 0.5 && !mayScroll) problems.push(`${where}: "${control.name}" is below the fold`);
  }
  if (process.env.A11Y_SHOTS && problems.length > 0) await page.screenshot({ path: `test-results/a11y/${where.replace(/[ /]+/g, '-')}.png` });
  return problems;
}

async function walkScreens(page: Page, kiosk: Kiosk, technician: Technician, walk: string, screens: Screen[], query: Record<string, string> = {}) {
  await page.setViewportSize(orientations.landscape);
  // A colour is measured where it ends, not in the middle of a control's 80 ms transition after a tap.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await openKiosk(page, kiosk, query);
  await page.getByRole('button', { name: 'English', exact: true }).click();
  const problems: string[] = [];
  for (const screen of screens) {
    // The idle warning is modal and counts down: it is audited once per orientation, as it came up.
    const modal = screen.name === 'idle warning';
    if (modal) await expect(page.getByRole('alertdialog')).toBeVisible({ timeout: 70_000 });
    else await screen.go(page, kiosk, technician);
    for (const [orientation, viewport] of Object.entries(orientations)) {
      await page.setViewportSize(viewport);
      for (const language of modal ? ['English'] : languages) {
        if (!modal) await page.getByRole('button', { name: language, exact: true }).click();
        for (const mode of modal ? (['plain'] as const) : modes) {
          if (!modal) await setMode(page, mode);
          problems.push(...(await problemsHere(page, `${walk} / ${screen.name} / ${orientation} / ${language} / ${mode}`, screen.scrolls)));
        }
      }
    }
    await page.setViewportSize(orientations.landscape);
    await page.getByRole('button', { name: 'English', exact: true }).click().catch(() => undefined);
    await setMode(page, 'plain').catch(() => undefined);
  }
  mkdirSync('test-results', { recursive: true });
  writeFileSync(`test-results/accessibility-${walk.replaceAll(' ', '-')}.txt`, problems.join('\n'));
  expect(problems, problems.join('\n')).toEqual([]);
}
