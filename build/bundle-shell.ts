/**
 * Bundles the Electron shell into out/shell/: the main process (with the host, ledger and shared code; npm
 * packages stay external and load from node_modules or the asar) and the sandboxed preload, which must be one
 * CommonJS file requiring nothing but 'electron'.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'out', 'shell');

await Promise.all([
  build({
    entryPoints: [path.join(root, 'electron', 'shell', 'main.ts')],
    outfile: path.join(outdir, 'main.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    sourcemap: 'linked',
  }),
  build({
    entryPoints: [path.join(root, 'electron', 'shell', 'preload.cts')],
    outfile: path.join(outdir, 'preload.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'chrome140',
    external: ['electron'],
  }),
]);
console.log(`Electron shell bundled into ${path.relative(root, outdir)}/`);
