import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort } from '../fixtures/free-port.ts';
import { connectWhenUp, kioskPage } from '../fixtures/kiosk-window.ts';
import { virtualDisplay } from '../fixtures/virtual-display.ts';

test('npm start opens the kiosk filling the screen (no window manager) beside the example ATM host, and stops both cleanly', async () => {
  test.setTimeout(90_000);
  // A portrait check-in screen, bare X: nothing but the kiosk itself gives its window the display's size.
  const screen = await virtualDisplay('1080x1920');
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
      // The test watches the window through DevTools; nothing else is passed, so root (as in CI's container) starts
      // as a new user's `npm start` would.
      KIOSK_CHROMIUM_FLAGS: `--remote-debugging-port=${devtools}`,
      KIOSK_MODE: '',
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
    await expect(page.getByRole('button', { name: 'WhatsAppメッセージの停止', exact: true })).toBeVisible({ timeout: 15_000 });
    // The launch token has left the address bar.
    expect(page.url()).not.toContain('kiosk-launch');
    // Full screen without a frame and without a scrollbar. Chromium on bare X keeps a window one pixel short of a
    // size equal to the screen's (so that it is not taken for a full-screen window), hence the pixel's tolerance.
    const fit = (await page.evaluate(`({
      width: innerWidth,
      height: innerHeight,
      screen: [screen.width, screen.height],
      scrolls: document.documentElement.scrollHeight > document.documentElement.clientHeight ||
        document.documentElement.scrollWidth > document.documentElement.clientWidth,
    })`)) as { width: number; height: number; screen: [number, number]; scrolls: boolean };
    expect(fit.screen).toEqual(process.env.DISPLAY ? fit.screen : [1080, 1920]);
    expect(fit.width).toBeGreaterThanOrEqual(fit.screen[0]! - 1);
    expect(fit.height).toBeGreaterThanOrEqual(fit.screen[1]! - 1);
    expect(fit.scrolls).toBe(false);
    if (process.getuid?.() === 0) expect(output).toMatch(/^Chromium's sandbox cannot be used \(running as root\): started with --no-sandbox/m);
    await browser.close();
    // The profile's example host application runs beside it, in its own process and window, connected to the kiosk.
    await expect.poll(() => output, { timeout: 30_000 }).toMatch(/"note":"connected to the kiosk"/);
    expect(output).toMatch(/^Example host atm-host \(Sakura Bank ATM\) on http:\/\/127\.0\.0\.1:\d+\/$/m);

    const exited = once(started, 'exit');
    started.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(output).not.toMatch(/ENOTEMPTY|Error:/);
    expect(code).toBe(0);
    expect(readdirSync(temporary).filter((name) => name.startsWith('kiosk-chromium-'))).toEqual([]);
    await expect.poll(() => readdirSync(temporary).filter((name) => name.startsWith('example-host-chromium-')), { timeout: 10_000 }).toEqual([]);
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
