import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort } from '../fixtures/free-port.ts';
import { connectWhenUp, kioskPage } from '../fixtures/kiosk-window.ts';
import { virtualDisplay } from '../fixtures/virtual-display.ts';

/** The display's window tree (xwininfo, x11-utils), walked again when a window went away during the walk (BadWindow). */
function windowTree(display: string): string {
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync('xwininfo', ['-root', '-tree'], { env: { ...process.env, DISPLAY: display }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

/** Where X put a window whose title starts with `title`: what a person sees of it. */
function windowBox(display: string, title: string): { x: number; y: number; width: number; height: number } | null {
  const tree = windowTree(display);
  const line = tree.split('\n').find((entry) => entry.includes(`"${title}`) && /\d+x\d+\+/.test(entry));
  const box = line && /(\d+)x(\d+)[+-]-?\d+[+-]-?\d+\s+\+(-?\d+)\+(-?\d+)/.exec(line);
  return box ? { width: Number(box[1]), height: Number(box[2]), x: Number(box[3]), y: Number(box[4]) } : null;
}

test('npm start on bare X (no window manager) shares the screen: the example ATM at the top, the kiosk filling the rest, and stops both cleanly', async () => {
  test.setTimeout(90_000);
  // A portrait check-in screen, bare X: nothing but the kiosk itself gives its window the display's size.
  test.skip(Boolean(process.env.DISPLAY), 'needs a bare X server of its own (Xvfb), not the DISPLAY set here, which may run a window manager');
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
    // The rest of the screen below the example's third, without a frame and without a scrollbar (the pixel's
    // tolerance: Chromium on bare X may keep a window a pixel short of the size asked for).
    const fit = (await page.evaluate(`({
      width: innerWidth,
      height: innerHeight,
      screen: [screen.width, screen.height],
      scrolls: document.documentElement.scrollHeight > document.documentElement.clientHeight ||
        document.documentElement.scrollWidth > document.documentElement.clientWidth,
    })`)) as { width: number; height: number; screen: [number, number]; scrolls: boolean };
    expect(fit.screen).toEqual([1080, 1920]);
    expect(fit.width).toBeGreaterThanOrEqual(fit.screen[0]! - 1);
    expect(fit.height).toBeGreaterThanOrEqual(fit.screen[1]! - 640 - 1);
    expect(fit.height).toBeLessThanOrEqual(fit.screen[1]! - 640);
    expect(fit.scrolls).toBe(false);
    expect(output).toMatch(/^No window manager on this display: the example host's window goes at the top, the kiosk's beside it\.$/m);
    // Neither window covers the other: the bank's screen above, the kiosk's below, as the README's walk-through needs.
    await expect.poll(() => windowBox(screen.display, 'Sakura Bank ATM'), { timeout: 30_000 }).toMatchObject({ x: 0, y: 0, width: 1080 });
    const atm = windowBox(screen.display, 'Sakura Bank ATM')!;
    const kioskWindow = windowBox(screen.display, 'Consent kiosk');
    if (!kioskWindow) throw new Error(`no kiosk window in:\n${windowTree(screen.display)}`);
    expect(atm.y + atm.height).toBeLessThanOrEqual(kioskWindow.y);
    expect(kioskWindow.y + kioskWindow.height).toBeLessThanOrEqual(1920);
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
  } catch (error) {
    // What npm start said (the layout it chose, the example's notes) is what tells one failure from another.
    console.error(`npm start's output:\n${output}`);
    throw error;
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
