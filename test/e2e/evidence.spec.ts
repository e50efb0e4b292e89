import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { syncWorkerFactory } from '../../electron/sync/sync-worker.ts';
import { consentCheck, publishedKeys, startApi, tempDir } from '../fault/fixtures/sync-harness.ts';
import { verifyExport } from '../fault/fixtures/independent-verifier.ts';
import { expect, startKiosk, test } from './kiosk-fixture.ts';
import { ATM_CUSTOMER_PHONE, expectOptIn, offerStep, openKiosk } from './kiosk-screens.ts';

const run = promisify(execFile);

test('a consent given on the screen reaches the API with a clock observation, and its export verifies from outside', async ({ page }) => {
  const api = await startApi(tempDir('e2e-api'));
  const token = await api.store.devices.createToken();
  const kiosk = await startKiosk(undefined, (dataDir) =>
    syncWorkerFactory({ apiUrl: api.url, dataDir, appVersion: '0.1.0-e2e', enrolmentToken: token, log: () => {} }),
  );
  try {
    await openKiosk(page, kiosk);
    const { outcome } = await offerStep(kiosk, 'atm');
    await expectOptIn(page, 'atm');
    await page.getByRole('checkbox', { name: 'balance alerts' }).check();
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect(page.getByRole('heading', { name: 'Your choice is saved' })).toBeVisible();
    expect(await outcome).toMatchObject({ outcome: 'accepted', subjectSource: 'host_verified' });

    await expect.poll(() => kiosk.ledger.status().outbox.pending, { timeout: 15_000 }).toBe(0);
    expect(kiosk.ledger.eventCounts()).toMatchObject({ consent: 1, clock_observation: 1 });
    expect(await consentCheck(api, ATM_CUSTOMER_PHONE, 'balance_alerts')).toMatchObject({ allowed: true, state: 'opted_in' });

    const { stdout } = await run(process.execPath, [path.resolve('bin/kioskctl.js'), 'export', '--data', kiosk.dataDir, '--no-personal-data'], {
      env: { ...process.env, KIOSK_DATA_DIR: '' },
    });
    const lines = stdout.trim().split('\n');
    expect(verifyExport(lines, await publishedKeys(api, kiosk.ledger.deviceId))).toEqual({ ok: true, events: 2, confirmedUpTo: 2 });
  } finally {
    await kiosk.dispose();
    await api.close();
  }
});
