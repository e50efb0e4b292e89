import { readFileSync } from 'node:fs';
import { ApiKeys } from '../../shared/contract/api-statement.ts';
import { checkTypedToken } from '../../shared/enrolment-token.ts';
import { receiptVerificationKey, verifyReceipt } from '../../shared/receipts/receipt-signing.ts';
import { syncWorkerFactory } from '../../electron/sync/sync-worker.ts';
import { consentCheck, startApi, tempDir } from '../fault/fixtures/sync-harness.ts';
import { userPreferencesWebhook } from '../fixtures/whatsapp-webhooks.ts';
import { COMPLIANCE, OPERATOR, createAccounts, expectNoAxeViolations, postWebhook, signIn, stopCluster, storeOptions } from './console-fixture.ts';
import { demoProfilePath, expect, startKiosk, test } from './kiosk-fixture.ts';
import { ATM_CUSTOMER_PHONE, expectOptIn, offerStep, openKiosk } from './kiosk-screens.ts';

const PHONE = ATM_CUSTOMER_PHONE;
const DIGITS = PHONE.slice(1);

test.afterAll(stopCluster);

for (const store of ['sqlite', 'postgres'] as const) {
  test(`on ${store}: an operator sees the kiosk that captured a consent in the fleet and the funnel; a compliance officer sees that consent, receipts, access and erasure`, async ({ browser }) => {
    test.setTimeout(90_000);
    const api = await startApi(tempDir('console-api'), 0, { receiptProfiles: [demoProfilePath], ...(await storeOptions(store)) });
    await createAccounts(api);
    const enrolmentToken = await api.store.devices.createToken();
    const kiosk = await startKiosk(undefined, (dataDir) =>
      syncWorkerFactory({ apiUrl: api.url, dataDir, appVersion: '0.1.0-e2e', enrolmentToken, heartbeatIntervalMs: 0, log: () => {} }),
    );
    const kioskPage = await browser.newPage();
    const operator = await (await browser.newContext({ acceptDownloads: true })).newPage();
    const officer = await (await browser.newContext({ acceptDownloads: true })).newPage();
    // a script or style the CSP refuses, or any other failure the page logs (but the 401 of "who am I" before sign-in)
    const pageErrors: string[] = [];
    for (const page of [operator, officer]) {
      page.on('console', (message) => {
        if (message.type() === 'error' && !message.text().includes('401')) pageErrors.push(message.text());
      });
    }
    try {
      // the bank's application offers the step with its customer's verified number (PHONE)
      await openKiosk(kioskPage, kiosk);
      const bank = await offerStep(kiosk, 'atm');
      await expectOptIn(kioskPage, 'atm');
      await kioskPage.getByRole('checkbox', { name: 'balance alerts' }).check();
      await kioskPage.getByRole('button', { name: 'Review' }).click();
      await kioskPage.getByRole('button', { name: 'Confirm' }).click();
      await expect(kioskPage.getByRole('heading', { name: 'Your choice is saved' })).toBeVisible();
      expect(await bank.outcome).toMatchObject({ outcome: 'accepted' });
      await expect.poll(() => kiosk.ledger.status().outbox.pending, { timeout: 15_000 }).toBe(0);
      await expect.poll(async () => (await api.store.health.funnelBySite()).length, { timeout: 15_000 }).toBeGreaterThan(0);
      expect((await postWebhook(api, userPreferencesWebhook(PHONE, 'stop', Math.floor(Date.now() / 1000)))).status).toBe(200);

      await signIn(operator, api, OPERATOR);
      await expect(operator.getByRole('heading', { name: 'Fleet' })).toBeVisible();
      const fleet = operator.getByRole('table', { name: 'Enrolled devices' });
      const row = fleet.getByRole('row').filter({ hasText: kiosk.ledger.deviceId });
      await expect(row).toHaveCount(1);
      await expect(row.getByRole('cell').nth(3)).toHaveText('0'); // dead letters (the terminal is the row header)
      await expect(row.getByRole('cell').nth(4)).toHaveText(/ms|s/); // clock offset, from the kiosk's signed clock observation
      await expect(row).toContainText('0.1.0-e2e');
      await expect(row).toContainText('Healthy');
      await expectNoAxeViolations(operator);

      await operator.getByRole('button', { name: 'Issue enrolment token' }).click();
      // a token a technician can type on the terminal's keypad, its check digit right (issue 11)
      const issued = operator.getByRole('status').getByLabel('Enrolment token');
      await expect(issued).toHaveText(/^\d{16}$/);
      expect(checkTypedToken((await issued.textContent())!)).toMatchObject({ ok: true });

      await operator.getByRole('link', { name: 'Funnel' }).click();
      const perFlow = operator.getByRole('table', { name: 'Per flow (numbers)' });
      await expect(perFlow.getByRole('row', { name: /^atm/ })).toHaveText(/atm\s*3\s*1\s*0\s*0/); // three purposes offered, one accepted
      await expect(operator.getByRole('img', { name: /^Per flow: atm 3 shown, 1 accepted/ })).toBeVisible();
      await expect(operator.locator('figure canvas')).toHaveCount(4);
      await expectNoAxeViolations(operator);
      const csv = operator.waitForEvent('download');
      await operator.getByRole('link', { name: 'Download CSV' }).click();
      const csvText = readFileSync((await (await csv).path())!, 'utf8');
      expect(csvText.split('\r\n')[0]).toBe('day,flowId,locale,siteId,outcome,count');
      expect(csvText).toMatch(/,atm,en,[^,]*,accepted,1\r\n/);
      expect(await operator.content()).not.toContain(DIGITS);

      await operator.getByRole('link', { name: 'Fleet' }).click();
      await row.getByRole('button', { name: /^Revoke/ }).click();
      await row.getByLabel('Reason').fill('terminal stolen');
      await row.getByRole('button', { name: 'Revoke for good' }).click();
      await expect(operator.getByRole('status').first()).toContainText('revoked.');
      await expect(row).toContainText('Revoked');
      await expect(row.getByRole('button', { name: /^Revoke/ })).toHaveCount(0);
      expect(await api.store.devices.isRevoked(kiosk.ledger.deviceId)).toBe(true);

      await signIn(officer, api, COMPLIANCE);
      await officer.getByLabel('Business').selectOption('sakura-bank');
      await officer.getByLabel('Phone number (E.164)').fill(PHONE);
      await officer.getByRole('button', { name: 'Look up' }).click();
      const optIn = officer.getByRole('article', { name: /^Opt-in for balance_alerts/ });
      await expect(optIn).toContainText('Verified (device key');
      await expect(optIn.getByRole('blockquote')).toContainText('Sakura Bank');
      await expect(optIn).toContainText(kiosk.ledger.deviceId);
      const stop = officer.getByRole('article', { name: /^WhatsApp stop/ });
      await expect(stop).toContainText('X-Hub-Signature-256 verified');
      await stop.getByText('Raw payload as received').click();
      await expect(stop.locator('pre')).toContainText(`"wa_id":"${DIGITS}"`);
      await expectNoAxeViolations(officer);

      const access = officer.waitForEvent('download');
      await officer.getByRole('button', { name: 'Download access request' }).click();
      const file = JSON.parse(readFileSync((await (await access).path())!, 'utf8')) as { phone: string; records: { record: string; subject?: { phone: string } }[] };
      expect(file.phone).toBe(PHONE);
      expect(file.records.filter((record) => record.record === 'chain_event').map((record) => record.subject?.phone)).toEqual([PHONE]);
      expect(file.records.some((record) => record.record === 'whatsapp_change')).toBe(true);

      const receiptsFile = officer.waitForEvent('download');
      await officer.getByRole('button', { name: 'Download signed receipts' }).click();
      const receipts = readFileSync((await (await receiptsFile).path())!, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { jws: string });
      expect(receipts).toHaveLength(1);
      const { keys } = ApiKeys.parse(await (await fetch(`${api.url}/v1/keys`)).json());
      const receipt = (await verifyReceipt(receipts[0]!.jws, await receiptVerificationKey(Buffer.from(keys[0]!.publicKey, 'base64url')))) as {
        issuer: { consentApi: boolean; keyId: string };
        kantara: { piiPrincipalId: string; piiControllers: { piiController: string }[] };
        signedEvent: { purpose: { id: string } };
      };
      expect(receipt.issuer).toMatchObject({ consentApi: true, keyId: keys[0]!.keyId });
      expect(receipt.kantara.piiPrincipalId).toBe(PHONE);
      expect(receipt.kantara.piiControllers[0]!.piiController).toMatch(/Sakura Bank/);
      expect(receipt.signedEvent.purpose.id).toBe('balance_alerts');

      await officer.getByLabel(/I have checked this erasure request/).check();
      await officer.getByRole('button', { name: 'Erase personal data' }).click();
      await expect(officer.getByRole('status')).toContainText('Erased: 1 consent opening(s), 1 WhatsApp change(s)');
      await expect(officer.getByText('Nothing is held for this number with this business.')).toBeVisible();
      expect(await consentCheck(api, PHONE, 'balance_alerts')).toMatchObject({ allowed: false, state: 'unknown' });

      await officer.getByRole('link', { name: 'Audit log' }).click();
      const log = officer.getByRole('table', { name: 'Console actions' });
      await expect(log.getByRole('row').filter({ hasText: 'erasure_request' })).toContainText(`carla (compliance)`);
      await expect(log.getByRole('row').filter({ hasText: 'erasure_request' })).toContainText('+••••••••5678 with sakura-bank');
      await expect(log.getByRole('row').filter({ hasText: 'issue_enrolment_token' })).toContainText('olive (operator)');
      await expect(log.getByRole('row').filter({ hasText: 'revoke_device' })).toContainText(kiosk.ledger.deviceId);
      expect(await officer.locator('table').textContent()).not.toContain(DIGITS);
      await expectNoAxeViolations(officer);

      await operator.getByRole('link', { name: 'Audit log' }).click();
      await expect(operator.getByRole('table', { name: 'Console actions' })).toContainText('erasure_request');
      expect(await operator.content()).not.toContain(DIGITS);
      expect(pageErrors).toEqual([]);
    } finally {
      await kiosk.dispose();
      await api.close();
    }
  });
}
