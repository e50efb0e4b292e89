import { fileURLToPath } from 'node:url';
import { kioskMethods } from '../host/dispatch.ts';

/** Set by build/bundle-host.mjs: the script built ahead of time, so a bundled host never runs esbuild at start. */
declare const KIOSK_PREBUILT_BRIDGE_CLIENT: string | undefined;

const entry = fileURLToPath(new URL('./client/kiosk-bridge-client.ts', import.meta.url));
let bundled: Promise<string> | undefined;

/** The browser-side `window.kiosk`, built once per process with the method names of `kioskApi` baked in. */
export function bridgeClientScript(): Promise<string> {
  bundled ??=
    typeof KIOSK_PREBUILT_BRIDGE_CLIENT === 'string'
      ? Promise.resolve(KIOSK_PREBUILT_BRIDGE_CLIENT)
      : import('esbuild')
          .then(({ build }) =>
            build({
              entryPoints: [entry],
              bundle: true,
              write: false,
              format: 'iife',
              target: 'chrome120',
              minify: true,
              legalComments: 'none',
              define: { KIOSK_METHODS: JSON.stringify(kioskMethods) },
            }),
          )
          .then((result) => result.outputFiles[0]?.text ?? '');
  return bundled;
}
