import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import type { Ledger } from '../../electron/ledger/ledger.ts';
import { consentsOf, type SignedConsent } from '../unit/ledger/fixtures.ts';
import { expect, type Kiosk } from './kiosk-fixture.ts';

/** How a person gets from the attract screen to the opt-in step in each demo flow (docs/ui.md). */
const toOptIn: Record<string, string[]> = {
  atm: ['Start', 'Insert card', 'Withdrawal', 'Continue'],
  airline: ['Start', 'Find booking', 'Continue'],
};

export const businessOf: Record<string, string> = { atm: 'Sakura Bank', airline: 'Sora Airlines' };

export async function openFlow(page: Page, kiosk: Kiosk, flowId: string, query: Record<string, string> = {}): Promise<void> {
  await kiosk.open(page, { flow: flowId, ...query });
  await page.getByRole('navigation', { name: /./ }).getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome' })).toBeVisible();
}

export async function reachOptIn(page: Page, flowId: string): Promise<void> {
  for (const name of toOptIn[flowId]!) await page.getByRole('button', { name, exact: true }).click();
  await expect(page.getByRole('heading', { name: `Get messages from ${businessOf[flowId]} on WhatsApp?` })).toBeVisible();
}

export async function tapDigits(page: Page, digits: string): Promise<void> {
  // Found by its keys, not its name, so it works in every language.
  const keypad = page.getByRole('group').filter({ has: page.getByRole('button', { name: '0', exact: true }) });
  for (const digit of digits) await keypad.getByRole('button', { name: digit, exact: true }).click();
}

/** The number display, found in any language: it is the phone screen's only text box. */
export function numberField(page: Page) {
  return page.getByRole('textbox');
}

/** The sentences on the review screen, exactly as shown. */
export async function shownSentences(page: Page): Promise<string[]> {
  await expect(page.getByRole('heading', { name: 'Check and confirm' })).toBeVisible();
  return page.locator('.sentences > li').allInnerTexts();
}

/** The consents in the ledger, as its export carries them. */
export function ledgerEvents(ledger: Ledger): SignedConsent[] {
  return consentsOf([...ledger.exportRecords({ personalData: false })].flatMap((record) => (record.record === 'event' ? [record.event] : [])));
}

export function ledgerSubjects(ledger: Ledger): string[] {
  return [...ledger.exportRecords({ personalData: true })].flatMap((record) =>
    record.record === 'event' && record.subject ? [record.subject.phone] : [],
  );
}

/** Every byte the ledger keeps on disk (database, WAL, shared memory, key file). */
export function rawLedgerBytes(dataDir: string): string {
  return readdirSync(dataDir)
    .map((name) => path.join(dataDir, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => readFileSync(file).toString('latin1'))
    .join('');
}
