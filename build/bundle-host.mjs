/**
 * Bundles the Chromium shell's host (electron/start.ts with the bridge, ledger, sync and shared code) into
 * out/host/start.mjs, so `npm start` runs plain Node instead of transpiling TypeScript at every start.
 * Plain JavaScript, because it must run before anything is compiled.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const hostBundle = path.join(root, 'out', 'host', 'start.mjs');
const sources = ['electron', 'shared', 'server', 'build/bundle-host.mjs', 'package-lock.json'];

/** Newest modification time under `entry` (0 when missing). */
export function newestMtime(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

export function hostBundleIsStale() {
  const built = newestMtime(hostBundle);
  return built === 0 || Math.max(...sources.map((entry) => newestMtime(path.join(root, entry)))) >= built;
}

/**
 * Each module keeps its own `import.meta.url` (the source file's), so paths it resolves next to itself (the bridge
 * client's source, the reference API's entry, the app root) still point into the checkout. In an installed tree
 * (`installed: true`) they point to where the same file would be there: every bundle file sits two levels below
 * the app root (out/host/, out/cli/), which mirrors the checkout's layout, wherever the tree was unpacked.
 */
const ownImportMetaUrl = ({ installed }) => ({
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      const fromAppRoot = path.relative(root, args.path).split(path.sep).join('/');
      const url = installed ? `new URL(${JSON.stringify(`../../${fromAppRoot}`)}, import.meta.url).href` : JSON.stringify(pathToFileURL(args.path).href);
      return { contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
});

/**
 * zod's `z` namespace carries all of its 50 locales' error messages, and esbuild keeps a namespace whole: 366 kB of
 * the host's 1.5 MB chunk, which Node parses at every start while Chromium starts beside it. The host only ever uses
 * the English messages zod configures by default (its own errors carry their own wording), so only that locale goes
 * in; `z.locales` in a bundle holds `en` alone.
 */
export const englishZodMessagesOnly = {
  name: 'english-zod-messages-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
    }));
  },
};

const forNode = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
};
// Loads better-sqlite3 (CommonJS, native) from node_modules beside the bundle.
const nodeRequire = "import { createRequire as kioskCreateRequire } from 'node:module'; const require = kioskCreateRequire(import.meta.url);";

/**
 * The bridge's browser script (`window.kiosk`), built now rather than at every start: this compiles
 * electron/bridge/bridge-client-bundle.ts into the checkout's out/ (where its packages resolve), and asks it for
 * the script.
 */
async function bridgeClient(build) {
  const builder = path.join(root, 'out', `bridge-client-builder-${process.pid}.mjs`);
  await build({
    ...forNode,
    plugins: [ownImportMetaUrl({ installed: false })],
    entryPoints: [path.join(root, 'electron', 'bridge', 'bridge-client-bundle.ts')],
    outfile: builder,
    packages: 'external',
  });
  const { bridgeClientScript } = await import(`${pathToFileURL(builder).href}?${Date.now()}`);
  const script = await bridgeClientScript();
  rmSync(builder);
  return script;
}

export async function bundleHost() {
  const { build } = await import('esbuild');
  const outdir = path.dirname(hostBundle);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    ...forNode,
    plugins: [ownImportMetaUrl({ installed: false }), englishZodMessagesOnly],
    entryPoints: [path.join(root, 'electron', 'start.ts')],
    outdir,
    // start.ts imports the rest of the host dynamically, after Chromium is on its way: that part becomes chunks of
    // its own, read only then. Native or self-locating packages stay in node_modules.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    external: ['better-sqlite3', 'esbuild', 'tsx'],
    banner: { js: nodeRequire },
    define: { KIOSK_PREBUILT_BRIDGE_CLIENT: JSON.stringify(await bridgeClient(build)) },
    sourcemap: 'linked',
  });
}

/**
 * The host and kioskctl as a terminal runs them (the Debian package): `<appDir>/out/host/start.mjs` with its chunks
 * beside it, and `<appDir>/out/cli/kioskctl.mjs`. Nothing but better-sqlite3 is left outside, and two settings are
 * fixed at build time: the version the host reports, and that the reference consent API is never started on a
 * terminal, whatever its environment says. Resolves with the absolute paths of the source files bundled.
 */
export async function bundleInstalledHost({ appDir, version }) {
  const { build } = await import('esbuild');
  const installed = {
    ...forNode,
    plugins: [ownImportMetaUrl({ installed: true }), englishZodMessagesOnly],
    absWorkingDir: root,
    metafile: true,
    external: ['better-sqlite3'],
    banner: { js: nodeRequire },
    define: {
      'process.env.npm_package_version': JSON.stringify(version),
      'process.env.KIOSK_LOCAL_API': JSON.stringify('off'),
    },
  };
  const hostDir = path.join(appDir, 'out', 'host');
  const bridgeClientScript = await bridgeClient(build);
  const bundles = await Promise.all([
    build({
      ...installed,
      entryPoints: [path.join(root, 'electron', 'start.ts')],
      outdir: hostDir,
      splitting: true,
      chunkNames: '[name]-[hash]',
      outExtension: { '.js': '.mjs' },
      define: { ...installed.define, KIOSK_PREBUILT_BRIDGE_CLIENT: JSON.stringify(bridgeClientScript) },
    }),
    build({ ...installed, entryPoints: [path.join(root, 'electron', 'cli', 'kioskctl.ts')], outfile: path.join(appDir, 'out', 'cli', 'kioskctl.mjs') }),
  ]);
  return bundles.flatMap(({ metafile }) => Object.keys(metafile.inputs).map((input) => path.resolve(root, input)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleHost();
  console.log(`Host bundled into ${path.relative(root, hostBundle)}`);
}
