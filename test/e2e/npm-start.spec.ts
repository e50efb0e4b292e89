import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort } from '../fixtures/free-port.ts';
import { connectWhenUp, kioskPage } from '../fixtures/kiosk-window.ts';
import { virtualDisplay } from '../fixtures/virtual-display.ts';

test('npm start opens the kiosk in its own Chromium window, and stops cleanly', async () => {
  test.setTimeout(90_000);
  const screen = await virtualDisplay();
  const work = mkdtempSync(path.join(tmpdir(), 'kiosk-npm-start-'));
  // Chromium's throwaway profile is made under TMPDIR: a directory of the test's own shows whether it is removed.
  const temporary = path.join(work, 'tmp');
  mkdirSync(temporary);
  const devtools = await freePort();
  const started = spawn(process.execPath, ['build/start.mjs'], {
    env: {
      ...process.env,
      DISPLAY: screen.display,
      TMPDIR: temporary,
      KIOSK_DATA_DIR: path.join(work, 'kiosk'),
      KIOSK_API_URL: '',
      KIOSK_LOCAL_API: 'off',
      // The test watches the window through DevTools; root (as in CI's container) needs --no-sandbox.
      KIOSK_CHROMIUM_FLAGS: `--remote-debugging-port=${devtools}${process.getuid?.() === 0 ? ' --no-sandbox' : ''}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await expect.poll(() => output, { timeout: 60_000 }).toMatch(/^Shell: Chromium \(/m);
    const browser = await connectWhenUp(devtools, 15_000);
    const page = await kioskPage(browser);
    await expect(page.getByRole('button', { name: '開始', exact: true })).toBeVisible({ timeout: 15_000 });
    // The launch token has left the address bar.
    expect(page.url()).not.toContain('kiosk-launch');
    await browser.close();

    const exited = once(started, 'exit');
    started.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(output).not.toMatch(/ENOTEMPTY|Error:/);
    expect(code).toBe(0);
    expect(readdirSync(temporary).filter((name) => name.startsWith('kiosk-chromium-'))).toEqual([]);
  } finally {
    // Best effort, and never in the way of the test's own failure: the host stops its Chromium, then the files go.
    if (started.exitCode === null) {
      started.kill('SIGTERM');
      await Promise.race([once(started, 'exit'), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      started.kill('SIGKILL');
    }
    screen.stop();
    try {
      rmSync(work, { recursive: true, force: true, maxRetries: 5 });
    } catch (error) {
      console.warn(`left ${work}: ${(error as Error).message}`);
    }
  }
});
