import AxeBuilder from '@axe-core/playwright';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startLocalCluster, type LocalCluster } from '../../server/store/postgres/local-cluster.ts';
import type { Page } from '@playwright/test';
import type { RunningServer } from '../../server/start-server.ts';
import { WEBHOOK_APP_SECRET } from '../fault/fixtures/sync-harness.ts';
import { expect } from './kiosk-fixture.ts';

export const OPERATOR = { username: 'olive', password: 'operator-password-1' };
export const COMPLIANCE = { username: 'carla', password: 'compliance-password-1' };

/** The two roles' accounts, as `npm run console:account` makes them. */
export async function createAccounts(api: RunningServer): Promise<void> {
  if (!existsSync(path.resolve('out/console/index.html'))) throw new Error('out/console is missing: run `npm run build:console` before the end-to-end tests.');
  await api.store.consoleAccounts.create(OPERATOR.username, 'operator', OPERATOR.password);
  await api.store.consoleAccounts.create(COMPLIANCE.username, 'compliance', COMPLIANCE.password);
}

export async function signIn(page: Page, api: RunningServer, account: { username: string; password: string }): Promise<void> {
  await page.goto(`${api.url}/console/`);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText(`Signed in as ${account.username}`)).toBeVisible();
}

/** axe-core over the whole page as it stands: no violation of any rule it checks (WCAG 2.x A and AA among them). */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
}

/** A signed WhatsApp delivery, as Meta posts it. */
export function postWebhook(api: RunningServer, payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', WEBHOOK_APP_SECRET).update(body).digest('hex')}`;
  return fetch(`${api.url}/v1/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
}

let cluster: Promise<LocalCluster & { dir: string }> | undefined;

/**
 * A fresh database for one test's API: none on SQLite (its data dir holds the file), else a new database in this
 * worker's throwaway PostgreSQL cluster of Debian's packages, started on first use.
 */
export async function storeOptions(store: 'sqlite' | 'postgres'): Promise<{ databaseUrl?: string }> {
  if (store === 'sqlite') return {};
  cluster ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'console-pg-'));
    return { ...(await startLocalCluster({ dir, database: 'postgres', throwaway: true })), dir };
  })();
  const { url } = await cluster;
  const name = `console_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const database = new URL(url);
  database.pathname = `/${name}`;
  return { databaseUrl: database.toString() };
}

/** Stops this worker's cluster, if it started one. */
export async function stopCluster(): Promise<void> {
  if (!cluster) return;
  const { stop, dir } = await cluster;
  cluster = undefined;
  await stop();
  rmSync(dir, { recursive: true, force: true });
}
