import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

type Env = Record<string, string | undefined>;

export function chromiumExecutable(env: Env = process.env): string {
  return env.KIOSK_CHROMIUM ?? '/usr/bin/chromium';
}

export function hasDisplay(env: Env = process.env): boolean {
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** On Linux a GPU shows as a DRM render node; elsewhere Chromium is left to decide. */
export function hasGpu(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  } catch {
    return false;
  }
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export type ScreenSize = { width: number; height: number };
/** Where the window goes: the whole display, or the part npm start leaves it beside an example host on bare X. */
export type WindowArea = ScreenSize & { x: number; y: number };

/** KIOSK_WINDOW_AREA (`x,y,WIDTHxHEIGHT`), else the whole X display. */
export function windowArea(env: Env = process.env): WindowArea | null {
  const area = /^(\d+),(\d+),(\d+)x(\d+)$/.exec(env.KIOSK_WINDOW_AREA ?? '');
  if (area) return { x: Number(area[1]), y: Number(area[2]), width: Number(area[3]), height: Number(area[4]) };
  const screen = xDisplaySize(env);
  return screen && { x: 0, y: 0, ...screen };
}

/**
 * The X display's size, from xdpyinfo (x11-utils). Without a window manager nothing maximises Chromium's window, not
 * even --kiosk (it asks the window manager for full screen), so the window is given the display's size itself.
 * Under Wayland the compositor (cage) sizes the window; null there, and where xdpyinfo is missing.
 */
export function xDisplaySize(env: Env = process.env): ScreenSize | null {
  if (!env.DISPLAY || env.WAYLAND_DISPLAY) return null;
  const probe = spawnSync('xdpyinfo', [], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 3_000 });
  const match = /dimensions:\s+(\d+)x(\d+) pixels/.exec(probe.stdout ?? '');
  return match ? { width: Number(match[1]), height: Number(match[2]) } : null;
}

/**
 * Why Chromium's sandbox cannot be used here, if it cannot: Chromium refuses to start as root with it, and without
 * user namespaces (and Debian ships no setuid sandbox helper) it has nothing to build it from.
 */
export function sandboxUnavailable(uid: number | undefined, readSetting: (file: string) => string | null = readSystemSetting): string | null {
  if (uid === 0) return 'running as root';
  if (readSetting('/proc/sys/user/max_user_namespaces') === '0' || readSetting('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return 'user namespaces are disabled on this machine';
  }
  return null;
}

function readSystemSetting(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * A fresh profile each launch (no history, no cached token), and none of Chromium's own network chatter: the
 * kiosk talks to its loopback host and nothing else. Nothing that a one-page kiosk does not use is started either
 * (extensions, default apps, crash reporter, safe-browsing model), and the page is never throttled as a background
 * tab, which matters while the window is still being mapped at start-up.
 */
export function chromiumArgs(
  url: string,
  options: { kiosk: boolean; userDataDir: string; gpu: boolean; screen?: WindowArea | null; sandbox?: boolean },
): string[] {
  return [
    ...(options.sandbox === false ? ['--no-sandbox'] : []),
    ...(options.screen ? [`--window-position=${options.screen.x},${options.screen.y}`, `--window-size=${options.screen.width},${options.screen.height}`] : []),
    // Without a GPU, Chromium would start a GPU process only to emulate one in software; drawing on the CPU from the
    // start gets the window up sooner.
    ...(options.gpu ? [] : ['--disable-gpu']),
    options.kiosk ? '--kiosk' : '--app=' + url,
    `--user-data-dir=${options.userDataDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-translate',
    '--disable-extensions',
    '--disable-default-apps',
    '--disable-breakpad',
    '--disable-client-side-phishing-detection',
    '--disable-domain-reliability',
    '--no-pings',
    '--disable-renderer-backgrounding',
    '--disable-background-timer-throttling',
    // The omnibox pop-up's WebUI (and its AI-mode page) loads in a renderer of its own at start-up even in --kiosk
    // mode, which has no omnibox: about 100 requests and 0.4–0.7 s of CPU while the kiosk's page loads beside it (a
    // start-up trace on the 2-core machine). Both features must be off for it to go. One --disable-features only:
    // Chromium keeps the last one given.
    '--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,CertificateTransparencyComponentUpdater,WebUIOmniboxPopup,WebUIOmniboxAimPopup',
    '--password-store=basic',
    // Private listening: on Linux speechSynthesis speaks only through speech-dispatcher, and only with this switch
    // (test/e2e/real-audio.spec.ts hears it); Chromium connects to it when the page first speaks, not at start.
    '--enable-speech-dispatcher',
    '--overscroll-history-navigation=0',
    ...(options.kiosk ? ['--noerrdialogs', '--disable-pinch', url] : []),
  ];
}

export type ChromiumExit = { code: number | null; lastError: string };
export type RunningChromium = {
  process: ChildProcess;
  exited: Promise<ChromiumExit>;
  /** Its throwaway profile: Chromium writes DevToolsActivePort there when started with a DevTools port. */
  userDataDir: string;
};

/**
 * Starts system Chromium on `url`; its throwaway profile directory goes when it exits. `exited` carries Chromium's
 * last error line, so a browser that refuses to start says why. Full screen (`--kiosk`) unless `KIOSK_MODE=app`
 * asks for a framed window, both at the display's size. Where the sandbox cannot be used it is turned off, and one
 * line says so. `KIOSK_CHROMIUM_FLAGS` adds flags (space-separated) for a particular machine.
 */
export function launchChromium(url: string, env: Env = process.env, log: (line: string) => void = console.log): RunningChromium {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-chromium-'));
  const extra = (env.KIOSK_CHROMIUM_FLAGS ?? '').split(' ').filter(Boolean);
  const noSandbox = extra.includes('--no-sandbox') ? null : sandboxUnavailable(process.getuid?.());
  if (noSandbox) log(`Chromium's sandbox cannot be used (${noSandbox}): started with --no-sandbox; run the kiosk as a normal user to keep it.`);
  const options = { kiosk: env.KIOSK_MODE !== 'app', userDataDir, gpu: hasGpu(), screen: windowArea(env), sandbox: !noSandbox };
  const args = [...extra, ...chromiumArgs(url, options)];
  // A process group of its own, so that once the browser has exited its helpers can be stopped too.
  const child = spawn(chromiumExecutable(env), args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let lastError = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = chunk.toString().split('\n').filter((line) => /ERROR|FATAL/.test(line));
    lastError = lines.at(-1)?.replace(/^\[[^\]]*\]\s*/, '') ?? lastError;
  });
  const exited = new Promise<ChromiumExit>((resolve) => {
    child.once('exit', (code) => {
      stopHelpers(child.pid);
      void removeProfile(userDataDir).then(() => resolve({ code, lastError }));
    });
  });
  return { process: child, exited, userDataDir };
}

/** Chromium's helper processes (renderer, GPU, network, storage) outlive the browser by a moment on their own. */
function stopHelpers(groupId: number | undefined): void {
  if (groupId === undefined) return;
  try {
    process.kill(-groupId, 'SIGKILL');
  } catch {
    // none left
  }
}

/**
 * A helper can still be writing into the profile as it goes, and Node's rm retries only the last rmdir, not the
 * files that appeared meanwhile: so the whole removal is retried.
 */
async function removeProfile(userDataDir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rm(userDataDir, { recursive: true, force: true });
      return;
    } catch (error) {
      if (attempt === 30) {
        console.warn(`Could not remove Chromium's profile ${userDataDir}: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
