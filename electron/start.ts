/**
 * The kiosk's start (`npm start` runs it through build/start.mjs, which first rebuilds whatever is stale): the
 * Electron shell when its binary is installed, otherwise the Chromium shell (system Chromium over the loopback
 * bridge). One line says which.
 *
 * Chromium needs about a second to show a page on a kiosk-class PC, so the Chromium shell starts it before the rest
 * of the host is even read from disk: on a loopback address that already listens, where requests wait until the
 * bridge answers (electron/run-shell.ts). Hence only Node's built-ins, and modules made of nothing else, load here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bridgeLaunchUrl, newBridgeSecret } from './bridge/launch-address.ts';
import { hasDisplay, isExecutable, launchChromium } from './bridge/launch-chromium.ts';
import { listenOnLoopback } from './host/loopback-listener.ts';
import type { EarlyChromium } from './run-shell.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where `require('electron')` would point, found without importing electron into Node code. */
function electronBinary(): string | null {
  const pathFile = path.join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return isExecutable(binary) ? binary : null;
}

async function startChromiumFirst(): Promise<EarlyChromium> {
  const listener = await listenOnLoopback(Number(process.env.KIOSK_PORT ?? 0));
  const launchCode = newBridgeSecret();
  return { listener, launchCode, browser: hasDisplay() ? launchChromium(bridgeLaunchUrl(listener.origin, launchCode)) : null };
}

let early: EarlyChromium | undefined;
try {
  const binary = electronBinary();
  if (binary) {
    await (await import('./run-shell.ts')).runElectron(binary);
  } else {
    early = await startChromiumFirst();
    await (await import('./run-shell.ts')).runChromium(early);
  }
} catch (error) {
  early?.browser?.process.kill('SIGTERM');
  console.error(`Cannot start the kiosk: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
