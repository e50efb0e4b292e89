import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { isExportedConsent } from '../../electron/ledger/event-export.ts';
import type { Ledger } from '../../electron/ledger/ledger.ts';
import { ExportRecord } from '../../shared/contract/ledger-export.ts';
import { HostClient, type BeginSessionPayload, type OfferResult } from '../../sdk/host-client/index.ts';
import { consentsOf, type SignedConsent } from '../unit/ledger/fixtures.ts';
import { expect, type Kiosk } from './kiosk-fixture.ts';

export const businessOf: Record<string, string> = { atm: 'Sakura Bank', airline: 'Sora Airlines' };
/** The number the demo bank has on file for its demo customer (examples/atm-host). */
export const ATM_CUSTOMER_PHONE = '+819012345678';

/** The kiosk's own screen, waiting for the terminal's application to offer the step. */
export async function openKiosk(page: Page, kiosk: Kiosk, query: Record<string, string> = {}): Promise<void> {
  await kiosk.open(page, query);
  await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止' })).toBeVisible();
}

export async function expectOptIn(page: Page, flowId: string): Promise<void> {
  await expect(page.getByRole('heading', { name: `Get messages from ${businessOf[flowId]} on WhatsApp?` })).toBeVisible();
}

/**
 * The terminal's application, played by the test through the host client: begins a session (the bank's with its
 * customer's verified number) and offers the step of `flowId` in English.
 */
export async function offerStep(kiosk: Kiosk, flowId: string, session: BeginSessionPayload = {}) {
  const client = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
  kiosk.cleanUp(() => client.close());
  // As a host application would: the kiosk's screen is up (its page asks for steps) before the step is offered.
  await expect.poll(async () => (await client.status()).state).toBe('ready');
  const verified = flowId === 'atm' ? { verifiedSubject: { phone: ATM_CUSTOMER_PHONE } } : {};
  await client.beginSession({ locale: 'en', ...verified, ...session });
  const outcome: Promise<OfferResult> = client.offer({ flowId });
  return { client, outcome };
}

/** The consent event ids an auditor's `kioskctl export` shows for this data directory (not its clock observations). */
export function exportedEventIds(dataDir: string): string[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'electron/cli/kioskctl.ts', 'export', '--data', dataDir, '--no-personal-data'], {
    encoding: 'utf8',
  });
  return out
    .trim()
    .split('\n')
    .map((line) => ExportRecord.parse(JSON.parse(line)))
    .flatMap((record) => (record.record === 'event' && isExportedConsent(record) ? [record.event.id] : []));
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

/** On a review with a service and a marketing sentence, the customer ticks each one (neither starts ticked). */
export async function tickEverySentence(page: Page): Promise<void> {
  for (const box of await page.locator('.sentences').getByRole('checkbox').all()) await box.check();
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
