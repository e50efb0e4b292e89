/**
 * The kiosk's start (`npm start` runs it through build/start.mjs, which first rebuilds whatever is stale): the
 * Electron shell when its binary is installed, otherwise the Chromium shell (system Chromium over the loopback
 * bridge). One line says which.
 *
 * Chromium needs about a second to show a page on a kiosk-class PC, so the Chromium shell starts it before the rest
 * of the host is even read from disk: on a loopback address that already listens, where requests wait until the
 * bridge answers (electron/run-shell.ts). Hence only Node's built-ins, and modules made of nothing else, load here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bridgeLaunchUrl, newBridgeSecret } from './bridge/launch-address.ts';
import { hasDisplay, launchChromium } from './bridge/launch-chromium.ts';
import { electronBinary } from './electron-binary.ts';
import { listenOnLoopback } from './host/loopback-listener.ts';
import type { EarlyChromium } from './run-shell.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function startChromiumFirst(): Promise<EarlyChromium> {
  const listener = await listenOnLoopback(Number(process.env.KIOSK_PORT ?? 0));
  const launchCode = newBridgeSecret();
  return { listener, launchCode, browser: hasDisplay() ? launchChromium(bridgeLaunchUrl(listener.origin, launchCode)) : null };
}

let early: EarlyChromium | undefined;
try {
  const binary = electronBinary(root);
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
