import type { Page } from '@playwright/test';
import type { Profile } from '../../shared/contract/profile.ts';
import { syncWorkerFactory } from '../../electron/sync/sync-worker.ts';
import { startApi, tempDir } from '../fault/fixtures/sync-harness.ts';
import { demoProfile, developmentPinPath, signedForTest } from '../fixtures/signed-profile.ts';
import { OPERATOR, createAccounts, signIn } from './console-fixture.ts';
import { expect, startKiosk, test } from './kiosk-fixture.ts';
import { expectOptIn, offerStep, openKiosk, shownSentences } from './kiosk-screens.ts';

const SITE = demoProfile().placement!.siteId;

/** The demo profile with every opt-in sentence ending in `mark`: what a provisioning desk's new wording looks like. */
function reworded(mark: string): Profile {
  const profile = demoProfile();
  for (const flow of profile.flows) for (const notice of flow.notices) notice.optIn = `${notice.optIn} ${mark}`;
  return profile;
}

async function publishFromConsole(page: Page, profile: unknown, targets: string) {
  await page.getByLabel('Signed profile file').setInputFiles({ name: 'profile.signed.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(profile)) });
  await page.getByLabel('Sites and devices (site ids or device ids)').fill(targets);
  await page.getByRole('button', { name: 'Publish profile' }).click();
}

/** A customer of the bank at the ATM accepts balance alerts; returns the sentences the review screen showed. */
async function acceptBalanceAlerts(kioskPage: Page) {
  await expectOptIn(kioskPage, 'atm');
  await kioskPage.getByRole('checkbox', { name: 'balance alerts' }).check();
  await kioskPage.getByRole('button', { name: 'Review' }).click();
  const sentences = await shownSentences(kioskPage);
  await kioskPage.getByRole('button', { name: 'Confirm' }).click();
  await expect(kioskPage.getByRole('heading', { name: 'Your choice is saved' })).toBeVisible();
  return sentences;
}

test('a profile published from the console reaches the kiosk with its heartbeat: the customer in the step keeps the old wording, the next one gets the new, the fleet shows it in force; a tampered one is refused; the old wording is flagged unapproved', async ({ browser }) => {
  test.setTimeout(120_000);
  const api = await startApi(tempDir('remote-profile-api'), 0, { provisioningKeyFile: developmentPinPath });
  await createAccounts(api);
  const enrolmentToken = await api.store.devices.createToken();
  const kiosk = await startKiosk(undefined, (dataDir) => (ledger, profile) =>
    syncWorkerFactory({
      apiUrl: api.url,
      dataDir,
      appVersion: '0.1.0-e2e',
      enrolmentToken,
      heartbeatIntervalMs: 0,
      intervalMs: 500,
      profileInForce: profile.version,
      offerProfile: profile.offer,
      placement: () => profile.profile().placement,
      log: () => {},
    })(ledger),
  );
  const kioskPage = await browser.newPage();
  const operator = await browser.newPage();
  try {
    await openKiosk(kioskPage, kiosk);
    await expect.poll(async () => (await api.store.health.listDevices(Date.now(), 60_000)).length, { timeout: 15_000 }).toBe(1);

    // customer 1 is in the step, on the wording of revision 1
    const first = await offerStep(kiosk, 'atm');
    await expectOptIn(kioskPage, 'atm');

    await signIn(operator, api, OPERATOR);
    // a changed profile is refused with the sentence a terminal would say, and nothing is published
    const tampered = signedForTest(reworded('(tampered)'), { revision: 2 });
    (tampered.signed.profile as Profile).flows[0]!.business.name = 'Not Sakura Bank';
    await publishFromConsole(operator, tampered, SITE);
    await expect(operator.getByRole('alert')).toHaveText('The profile offered for publication was changed after it was signed: its signature does not verify.');
    expect(await api.store.profiles.list(10)).toEqual([]);

    await publishFromConsole(operator, signedForTest(reworded('(revision 2)'), { revision: 2 }), SITE);
    await expect(operator.getByRole('status')).toHaveText(`Profile revision 2 published for site ${SITE}.`);
    const row = operator.getByRole('table', { name: 'Enrolled devices' }).getByRole('row').filter({ hasText: kiosk.ledger.deviceId });

    // the heartbeat brings it; it waits for customer 1, and the fleet says the device lags
    await expect.poll(() => kiosk.profileSwitch.waiting(), { timeout: 15_000 }).toBe(2);
    await expect.poll(async () => {
      await operator.reload();
      return row.textContent();
    }, { timeout: 15_000 }).toContain('Profile lags');
    await expect(row).toContainText(/revision 1\s*published: revision 2 \([^)]+\), not yet in force/);

    const firstSentences = await acceptBalanceAlerts(kioskPage);
    expect(firstSentences.join(' ')).not.toContain('(revision 2)');
    expect(await first.outcome).toMatchObject({ outcome: 'accepted' });
    await kioskPage.getByRole('button', { name: /Continue|Finish/ }).first().click();
    await first.client.endSession();
    await first.client.close();

    // between customers the kiosk switches; the next customer sees the new wording without a page reload
    await expect.poll(() => kiosk.profileSwitch.revision(), { timeout: 15_000 }).toBe(2);
    const second = await offerStep(kiosk, 'atm');
    const secondSentences = await acceptBalanceAlerts(kioskPage);
    expect(secondSentences.join(' ')).toContain('(revision 2)');
    expect(await second.outcome).toMatchObject({ outcome: 'accepted' });

    // the fleet shows the device up to date; the first customer's consent (wording never published) is flagged
    await expect.poll(async () => {
      await operator.reload();
      return row.textContent();
    }, { timeout: 20_000 }).toMatch(/revision 2\s*published: revision 2 \([^)]+\), up to date/);
    await expect(row).not.toContainText('Profile lags');
    await expect(row).toContainText('1 consent(s) with an unapproved notice');
    await expect(row).toContainText('Unapproved notices');
    const switched = [...kiosk.ledger.exportRecords({ personalData: false })].filter(
      (record) => record.record === 'event' && record.event.v === 2 && record.event.type === 'service' && record.event.action === 'profile_switched',
    );
    expect(switched).toHaveLength(1);
  } finally {
    await kioskPage.close();
    await operator.close();
    await kiosk.dispose();
    await api.close();
  }
});
