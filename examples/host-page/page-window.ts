import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The example host's own window on a developer's desktop: system Chromium (KIOSK_CHROMIUM, else /usr/bin/chromium)
 * in app mode with a throwaway profile, as the bank's own screen would be. Closed, and its profile removed, with
 * the example.
 */
export function openPageWindow(url: string, log: (line: string) => void): () => Promise<void> {
  const profile = mkdtempSync(path.join(tmpdir(), 'example-host-chromium-'));
  // npm start gives it its part of a screen without a window manager (build/demo-host.mjs), where it cannot be moved.
  const area = /^(\d+),(\d+),(\d+)x(\d+)$/.exec(process.env.EXAMPLE_WINDOW_AREA ?? '');
  const [x, y, width, height] = area ? area.slice(1) : ['40', '40', '900', '760'];
  const flags = [`--app=${url}`, `--user-data-dir=${profile}`, '--no-first-run', '--no-default-browser-check', `--window-position=${x},${y}`, `--window-size=${width},${height}`];
  // Chromium refuses to run as root without this (a root-only container, say).
  if (process.getuid?.() === 0) flags.push('--no-sandbox');
  const browser = spawn(process.env.KIOSK_CHROMIUM || '/usr/bin/chromium', flags, { stdio: 'ignore' });
  browser.once('error', (error) => log(`could not open a window for the page (${error.message}); open ${url} in a browser`));
  return async () => {
    if (browser.exitCode === null && browser.signalCode === null && browser.pid !== undefined) {
      const gone = once(browser, 'exit');
      browser.kill('SIGTERM');
      await gone;
    }
    // Chromium's helpers (the crash handler among them) can still write into the profile for a moment after the
    // browser has exited, and a removal that meets a new file fails with ENOTEMPTY: retried for up to 5.5 s.
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (error) {
      log(`could not remove the window's profile ${profile} (${(error as Error).message})`);
    }
  };
}
