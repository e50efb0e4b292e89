import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { kioskMethods } from '../host/dispatch.ts';

const entry = fileURLToPath(new URL('./client/kiosk-bridge-client.ts', import.meta.url));
let bundled: Promise<string> | undefined;

/** The browser-side `window.kiosk`, built once per process with the method names of `kioskApi` baked in. */
export function bridgeClientScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'chrome120',
    minify: true,
    legalComments: 'none',
    define: { KIOSK_METHODS: JSON.stringify(kioskMethods) },
  }).then((result) => result.outputFiles[0]?.text ?? '');
  return bundled;
}
