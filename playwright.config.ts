import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

/** System Chromium when present (the kiosk's own browser); Playwright's otherwise. Never downloaded here. */
const systemChromium = process.env.KIOSK_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results',
  globalSetup: './test/setup/run-tmpdir.ts',
  workers: 2,
  // Each test gets its own host, ledger and bridge (a test-scoped fixture), so tests of one file can run side by side.
  fullyParallel: true,
  timeout: 45_000,
  expect: { timeout: 7_000 },
  reporter: [['list']],
  use: {
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      ...(existsSync(systemChromium) ? { executablePath: systemChromium } : {}),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    },
  },
  projects: [
    { name: 'chromium-shell', testIgnore: /electron\.spec\.ts$/ },
    { name: 'electron-shell', testMatch: /electron\.spec\.ts$/ },
  ],
});
