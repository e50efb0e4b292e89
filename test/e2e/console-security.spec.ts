import type { APIRequestContext, Page } from '@playwright/test';
import type { RunningServer } from '../../server/start-server.ts';
import { startApi, tempDir } from '../fault/fixtures/sync-harness.ts';
import { COMPLIANCE, OPERATOR, createAccounts, expectNoAxeViolations, signIn, stopCluster, storeOptions } from './console-fixture.ts';
import { expect, test } from './kiosk-fixture.ts';

let api: RunningServer;

test.afterAll(stopCluster);

// The console's checks on both stores: the SQL under sessions, lock-out and the audit log is the same, the drivers are not.
for (const store of ['sqlite', 'postgres'] as const) {
  test.describe(`on ${store}`, () => {
    test.beforeEach(async () => {
      api = await startApi(tempDir('console-api'), 0, await storeOptions(store));
      await createAccounts(api);
    });
    test.afterEach(() => api.close());

    /** What the page's own script would send: the session cookie rides along, the CSRF token only if given. */
    function post(request: APIRequestContext, path: string, body: unknown, headers: Record<string, string> = {}) {
      return request.post(`${api.url}/console/api${path}`, { data: body, headers: { 'content-type': 'application/json', ...headers } });
    }

    const csrfTokenOf = async (page: Page): Promise<string> => ((await (await page.request.get(`${api.url}/console/api/session`)).json()) as { csrfToken: string }).csrfToken;

    test('refuses a wrong password, then locks the account after five, and says so', async ({ page }) => {
      await page.goto(`${api.url}/console/`);
      await expectNoAxeViolations(page);
      for (let attempt = 0; attempt < 5; attempt++) {
        await page.getByLabel('Username').fill(OPERATOR.username);
        await page.getByLabel('Password').fill('not-the-password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
        await page.getByLabel('Password').fill('');
      }
      await page.getByLabel('Password').fill(OPERATOR.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByRole('alert')).toHaveText('Too many wrong passwords for this account: sign-in is locked for 15 minutes.');
      const refusals = (await api.store.consoleAudit.latest(10)).filter((entry) => entry.action === 'login');
      expect(refusals.map((entry) => entry.status)).toEqual([429, 401, 401, 401, 401, 401]);
      expect(refusals.every((entry) => entry.username === OPERATOR.username)).toBe(true);
    });

    test('keeps each role to its own pages and its own API, and records the refusals', async ({ browser }) => {
      const operator = await (await browser.newContext()).newPage();
      const officer = await (await browser.newContext()).newPage();
      await signIn(operator, api, OPERATOR);
      await signIn(officer, api, COMPLIANCE);

      await expect(operator.getByRole('navigation', { name: 'Console pages' }).getByRole('link')).toHaveText(['Fleet', 'Funnel', 'Audit log']);
      await expect(officer.getByRole('navigation', { name: 'Console pages' }).getByRole('link')).toHaveText(['Subjects', 'Audit log']);
      await operator.goto(`${api.url}/console/subjects`);
      await expect(operator.getByRole('alert')).toHaveText('The Subjects page is not for the operator role.');
      await officer.goto(`${api.url}/console/fleet`);
      await expect(officer.getByRole('alert')).toHaveText('The Fleet page is not for the compliance officer role.');

      const lookUp = await post(operator.request, '/subjects/timeline', { businessId: 'sakura-bank', phone: '+819012345678' }, { 'x-csrf-token': await csrfTokenOf(operator) });
      expect(lookUp.status()).toBe(403);
      expect(((await lookUp.json()) as { message: string }).message).toBe('This page is for the compliance officer role; you are signed in as an operator.');
      expect((await officer.request.get(`${api.url}/console/api/fleet`)).status()).toBe(403);
      expect((await post(officer.request, '/enrolment-tokens', {}, { 'x-csrf-token': await csrfTokenOf(officer) })).status()).toBe(403);
      const anonymous = await browser.newContext();
      expect((await anonymous.request.get(`${api.url}/console/api/funnel`)).status()).toBe(401);
      await anonymous.close();

      const log = await api.store.consoleAudit.latest(20);
      expect(log).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ username: OPERATOR.username, action: 'view_subject_timeline', status: 403, target: null }),
          expect.objectContaining({ username: COMPLIANCE.username, action: 'view_fleet', status: 403 }),
          expect.objectContaining({ username: COMPLIANCE.username, action: 'issue_enrolment_token', status: 403 }),
          expect.objectContaining({ username: null, action: 'view_funnel', status: 401 }),
        ]),
      );
    });

    test('refuses a change without the session CSRF token or from another origin, and changes nothing', async ({ page }) => {
      await signIn(page, api, OPERATOR);
      const before = (await api.store.health.listDevices(Date.now(), 0)).length;
      const tokensBefore = await api.store.db.value<number>('SELECT COUNT(*) FROM enrolment_tokens');

      const withoutToken = await post(page.request, '/enrolment-tokens', {});
      expect(withoutToken.status()).toBe(403);
      expect(((await withoutToken.json()) as { message: string }).message).toBe('Refused: the CSRF token is missing or wrong. Reload the console and try again.');
      const wrongToken = await post(page.request, '/enrolment-tokens', {}, { 'x-csrf-token': 'guessed' });
      expect(wrongToken.status()).toBe(403);
      const crossSite = await post(page.request, '/enrolment-tokens', {}, { 'x-csrf-token': await csrfTokenOf(page), origin: 'http://attacker.example' });
      expect(crossSite.status()).toBe(403);
      expect(((await crossSite.json()) as { message: string }).message).toBe('Refused: this request did not come from the console page (cross-site request).');
      const form = await page.request.post(`${api.url}/console/api/enrolment-tokens`, { form: { businessIds: 'sakura-bank' }, headers: { 'x-csrf-token': await csrfTokenOf(page) } });
      expect(form.status()).toBe(415);

      expect(await api.store.db.value<number>('SELECT COUNT(*) FROM enrolment_tokens')).toBe(tokensBefore);
      expect((await api.store.health.listDevices(Date.now(), 0)).length).toBe(before);
      const refused = (await api.store.consoleAudit.latest(10)).filter((entry) => entry.status === 403 || entry.status === 415);
      expect(refused).toHaveLength(4);
    });

    test('answers bad input on the subject page with a clear error, and a signed-out session is refused', async ({ page }) => {
      await signIn(page, api, COMPLIANCE);
      await page.getByLabel('Phone number (E.164)').fill('12345');
      await page.getByRole('button', { name: 'Look up' }).click();
      await expect(page.getByRole('alert')).toHaveText('Invalid subject (businessId and an E.164 phone number): phone: must be an E.164 phone number such as +819012345678');
      await expectNoAxeViolations(page);

      const cookies = await page.context().cookies();
      expect(cookies).toEqual([expect.objectContaining({ name: 'console_session', httpOnly: true, sameSite: 'Strict', path: '/console' })]);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
      await page.context().addCookies(cookies);
      expect((await page.request.get(`${api.url}/console/api/audit-log`)).status()).toBe(401);
    });
  });
}
