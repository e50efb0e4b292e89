import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { groupedToken } from '../../shared/enrolment-token.ts';
import { sentenceForTyped } from '../fixtures/shown-sentence.ts';
import { syncWorkerFactory } from '../../electron/sync/sync-worker.ts';
import { consentCheck, publishedKeys, startApi, tempDir } from '../fault/fixtures/sync-harness.ts';
import { verifyExport } from '../fault/fixtures/independent-verifier.ts';
import { provisionTechnician } from '../fixtures/technicians.ts';
import { expect, startKiosk, test } from './kiosk-fixture.ts';
import { ATM_CUSTOMER_PHONE, openKiosk } from './kiosk-screens.ts';

const technicianFile = () => provisionTechnician(mkdtempSync(path.join(tmpdir(), 'e2e-technicians-')));

async function serviceGesture(page: Page) {
  await page.getByRole('button', { name: 'English' }).click();
  const corner = page.getByRole('button', { name: 'Service' });
  for (let tap = 0; tap < 5; tap += 1) await corner.click();
  await expect(page.getByRole('heading', { name: 'Technician sign-in' })).toBeVisible();
}

async function typeOnKeypad(page: Page, digits: string) {
  const keypad = page.getByRole('group', { name: 'Number keypad' });
  for (const digit of digits.replace(/\D/g, '')) await keypad.getByRole('button', { name: digit, exact: true }).click();
  await keypad.getByRole('button', { name: 'Enter' }).click();
}

const diagnostic = (page: Page, term: string) => page.locator('.diagnostics-list > div').filter({ has: page.getByText(term, { exact: true }) }).locator('dd');

test('wrong technician codes lock technician mode, and then even the right code does not open it', async ({ page }) => {
  const tech = technicianFile();
  const kiosk = await startKiosk(undefined, undefined, { technician: { file: tech.file, lockout: { maxFailures: 3, lockoutMs: 60_000, minIntervalMs: 0 } } });
  try {
    await openKiosk(page, kiosk);
    await serviceGesture(page);
    await typeOnKeypad(page, tech.wrongCode());
    await expect(page.getByRole('alert')).toHaveText('That code is not valid. 2 tries left before technician mode locks.');
    await typeOnKeypad(page, tech.wrongCode());
    await typeOnKeypad(page, tech.wrongCode());
    await expect(page.getByRole('alert')).toHaveText(/^That code is not valid\. Technician mode is locked until \d\d:\d\d UTC\.$/);
    await typeOnKeypad(page, tech.code());
    await expect(page.getByRole('alert')).toHaveText(/^Technician mode is locked after 3 wrong codes, until \d\d:\d\d UTC\.$/);
    await expect(page.getByRole('heading', { name: 'Diagnostics' })).toHaveCount(0);
    expect(kiosk.ledger.eventCounts()).toMatchObject({ consent: 0, service: 1 });
  } finally {
    await kiosk.dispose();
  }
});

test('a technician enrols the kiosk by typed token, sees every diagnostic, re-queues dead letters and runs a test capture that is no consent', async ({ page }) => {
  const api = await startApi(tempDir('e2e-api'));
  const tech = technicianFile();
  // The ATM flow names a business the API does not know yet: its consents come back refused, as dead letters.
  const kiosk = await startKiosk(
    (profile) => {
      profile.flows[0]!.business = { id: 'new-bank', name: 'New Bank', whatsappNumber: '+81398765432' };
    },
    (dataDir) => (ledger) => ({ ...syncWorkerFactory({ apiUrl: api.url, dataDir, appVersion: '0.1.0-e2e', log: () => {} })(ledger), apiUrl: api.url }),
    { technician: { file: tech.file }, appVersion: '0.1.0-e2e' },
  );
  try {
    // a customer's opt-out before the kiosk is enrolled, for the business the API does not know
    const flow = kiosk.profile.flows[0]!;
    const optOut = await kiosk.dispatch('captureConsent', {
      kind: 'opt_out',
      flowId: flow.id,
      entryPoint: 'atm.stop_messages',
      locale: 'en',
      consents: [{ purposeIds: ['balance_alerts'], shownText: sentenceForTyped(flow, 'opt_out', ['balance_alerts'], 'en', '090-1234-5678') }],
      subject: { source: 'self_entered', phone: '090-1234-5678', country: 'JP' },
    });
    expect(optOut.ok).toBe(true);
    await openKiosk(page, kiosk);

    await serviceGesture(page);
    await typeOnKeypad(page, tech.code());
    await expect(page.getByRole('heading', { name: 'Diagnostics' })).toBeVisible();
    await expect(page.getByText('Signed in: field-tech-1')).toBeVisible();
    await expect(diagnostic(page, 'Device id')).toHaveText(kiosk.ledger.deviceId);
    await expect(diagnostic(page, 'Device key')).toHaveText(new RegExp(`^${kiosk.ledger.keyId} \\(SHA256:[0-9a-f]{64}\\)$`));
    await expect(diagnostic(page, 'Enrolment')).toHaveText('Not enrolled');
    await expect(diagnostic(page, 'Last successful sync')).toHaveText('—');
    await expect(diagnostic(page, 'Outbox')).toHaveText(/^\d+ pending, 0 dead$/);
    await expect(diagnostic(page, 'Clock')).toHaveText('not observed yet; not known-good');
    await expect(diagnostic(page, 'Free disk')).toHaveText(/^\d+\.\d GiB$/);
    await expect(diagnostic(page, 'Ledger integrity')).toHaveText('not checked yet');
    await expect(diagnostic(page, 'Profile')).toHaveText(/^demo version \S+, revision 1$/);
    await expect(diagnostic(page, 'Profile signer')).toHaveText(/^SHA256:[0-9a-f]{64} \(DEVELOPMENT key\)$/);
    await expect(diagnostic(page, 'App version')).toHaveText('0.1.0-e2e');
    await expect(diagnostic(page, 'Central API')).toHaveText(api.url);

    await page.getByRole('button', { name: 'Re-check network' }).click();
    await expect(page.getByRole('status')).toHaveText(`The central API at ${api.url} answers.`);
    await page.getByRole('button', { name: 'Check ledger integrity' }).click();
    await expect(diagnostic(page, 'Ledger integrity')).toHaveText(/^The ledger is intact: \d+ events verified, every signature and link\.$/);

    // a typo is caught on the terminal, before the API is asked
    const token = await api.store.devices.createToken();
    const typo = token.slice(0, 5) + String((Number(token[5]) + 1) % 10) + token.slice(6);
    await page.getByRole('button', { name: 'Enrol' }).click();
    await typeOnKeypad(page, typo);
    await expect(page.getByRole('status')).toHaveText('The check digit does not match: a digit was mistyped. Type the token again.');
    await page.getByRole('button', { name: 'Enrol' }).click();
    await typeOnKeypad(page, groupedToken(token));
    await expect(page.getByRole('status')).toHaveText('The kiosk is enrolled; sync started.');
    await expect.poll(() => kiosk.ledger.status().outbox.pending, { timeout: 15_000 }).toBe(0);

    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect(diagnostic(page, 'Enrolment')).toHaveText('Enrolled');
    await expect(diagnostic(page, 'Last successful sync')).toHaveText(/UTC$/);
    await expect(diagnostic(page, 'Outbox')).toHaveText(/^\d+ pending, [1-9]\d* dead$/);
    await page.getByRole('button', { name: 'Export dead letters' }).click();
    await expect(page.getByRole('list', { name: 'Dead letters' }).getByRole('listitem').first()).toHaveText(/\(consent\): .*new-bank/);

    // the operator registers the business; the technician sends the dead letters again
    expect(await api.store.businesses.put({ id: 'new-bank', name: 'New Bank', whatsappNumber: '+81398765432' })).toMatchObject({ ok: true });
    await page.getByRole('button', { name: 'Re-queue dead letters' }).click();
    await expect(page.getByRole('status')).toHaveText('1 dead letters are queued again and will be sent with the next sync.');
    await expect.poll(() => kiosk.ledger.status().outbox, { timeout: 15_000 }).toMatchObject({ pending: 0, dead: 0 });

    await page.getByRole('button', { name: 'Test capture' }).click();
    await expect(page.getByRole('status')).toHaveText(/^A test capture is recorded in the chain as a service event/);
    await expect.poll(() => kiosk.ledger.status().outbox.pending, { timeout: 15_000 }).toBe(0);
    // the API holds the test capture, and it is no consent: the check still answers unknown
    expect(await consentCheck(api, ATM_CUSTOMER_PHONE, 'balance_alerts')).toMatchObject({ allowed: false, state: 'unknown' });
    expect(kiosk.ledger.eventCounts()).toMatchObject({ consent: 1 });

    await page.getByRole('button', { name: 'Leave technician mode' }).click();
    // back at the attract screen, in the kiosk's own language again (the demo's Japanese)
    await expect(page.getByRole('button', { name: '保守' })).toBeAttached();
    await expect.poll(() => kiosk.ledger.status().outbox.pending, { timeout: 15_000 }).toBe(0);
    expect(kiosk.ledger.verify()).toMatchObject({ ok: true, counts: { consent: 1, service: 10 } });
    // every session and action is in the chain, and the whole export verifies from outside
    const exported = [...kiosk.ledger.exportRecords({ personalData: false })].map((record) => JSON.stringify(record));
    const actions = exported.flatMap((line) => {
      const event = (JSON.parse(line) as { event?: { type?: string; action?: string } }).event;
      return event?.type === 'service' ? [event.action] : [];
    });
    expect(actions).toEqual([
      'session_started',
      'network_checked',
      'integrity_checked',
      'enrolment',
      'enrolment',
      'sync_requested',
      'dead_letters_exported',
      'dead_letters_requeued',
      'test_capture',
      'session_ended',
    ]);
    expect(verifyExport(exported, await publishedKeys(api, kiosk.ledger.deviceId))).toMatchObject({ ok: true });
  } finally {
    await kiosk.dispose();
    await api.close();
  }
});
