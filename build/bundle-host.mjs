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
 * client's source, the reference API's entry) still point into the checkout.
 */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};

const forNode = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [ownImportMetaUrl],
  logLevel: 'warning',
};

/**
 * The bridge's browser script (`window.kiosk`), built now rather than at every start: this compiles
 * electron/bridge/bridge-client-bundle.ts next to the bundle, and asks it for the script.
 */
async function bridgeClient(build) {
  const builder = path.join(path.dirname(hostBundle), 'bridge-client-builder.mjs');
  await build({ ...forNode, entryPoints: [path.join(root, 'electron', 'bridge', 'bridge-client-bundle.ts')], outfile: builder, packages: 'external' });
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
    entryPoints: [path.join(root, 'electron', 'start.ts')],
    outdir,
    // start.ts imports the rest of the host dynamically, after Chromium is on its way: that part becomes chunks of
    // its own, read only then. Native or self-locating packages stay in node_modules.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    external: ['better-sqlite3', 'esbuild', 'tsx'],
    banner: { js: "import { createRequire as kioskCreateRequire } from 'node:module'; const require = kioskCreateRequire(import.meta.url);" },
    define: { KIOSK_PREBUILT_BRIDGE_CLIENT: JSON.stringify(await bridgeClient(build)) },
    sourcemap: 'linked',
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundleHost();
  console.log(`Host bundled into ${path.relative(root, hostBundle)}`);
}
