import fs from 'node:fs';
import path from 'node:path';
import { build as viteBuild, type Plugin } from 'vite';
import { bundleInstalledHost } from '../bundle-host.mjs';
import { ReleaseError, runTool } from './run-tool.ts';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** The Node release line the host needs (package.json engines); Debian 12's own nodejs is 18. */
const NODE_AT_LEAST = [20, 19] as const;

/**
 * The files of the only npm packages left outside the bundles: better-sqlite3 (native) and what its loader
 * requires. Its other dependency, prebuild-install, runs only at `npm install`.
 */
const NATIVE_RUNTIME: Record<string, string[]> = {
  'better-sqlite3': ['package.json', 'LICENSE', 'lib', 'build/Release/better_sqlite3.node'],
  bindings: ['package.json', 'LICENSE.md', 'bindings.js'],
  'file-uri-to-path': ['package.json', 'LICENSE', 'index.js'],
};
const INSTALL_TIME_ONLY = new Set(['prebuild-install']);

function copy(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true });
}

/**
 * The runtime that will run the host on the terminal: the Node running this build, whose ABI better-sqlite3 in
 * node_modules was built for (checked below by loading it), stripped as dh_strip strips a program (its dynamic
 * symbols, which native modules link against, stay), and its licence.
 */
function stageNodeRuntime(appDir: string): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < NODE_AT_LEAST[0] || (major === NODE_AT_LEAST[0] && minor < NODE_AT_LEAST[1])) {
    throw new ReleaseError(`The release must be built with Node ${NODE_AT_LEAST.join('.')} or later (this is ${process.versions.node}): it ships the Node that builds it.`);
  }
  const node = path.join(appDir, 'node', 'bin', 'node');
  fs.mkdirSync(path.dirname(node), { recursive: true });
  runTool('strip', ['--remove-section=.comment', '--remove-section=.note', '-o', node, process.execPath]);
  const prefix = path.dirname(path.dirname(process.execPath));
  const licence = [path.join(prefix, 'share', 'doc', 'nodejs', 'LICENSE'), path.join(prefix, 'LICENSE')].find((file) => fs.existsSync(file));
  if (!licence) throw new ReleaseError(`The licence of the Node runtime ${process.execPath} was not found beside it; it must ship with the runtime.`);
  fs.copyFileSync(licence, path.join(appDir, 'node', 'LICENSE'));
  return node;
}

function stageNativeModule(appDir: string, node: string): string {
  for (const [name, files] of Object.entries(NATIVE_RUNTIME)) {
    const from = path.join(repoRoot, 'node_modules', name);
    const { dependencies = {} } = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const unshipped = Object.keys(dependencies).filter((dependency) => !(dependency in NATIVE_RUNTIME) && !INSTALL_TIME_ONLY.has(dependency));
    if (unshipped.length > 0) throw new ReleaseError(`${name} now depends on ${unshipped.join(', ')}, which the package does not ship (build/release/app-tree.ts).`);
    for (const file of files) copy(path.join(from, file), path.join(appDir, 'node_modules', name, file));
  }
  // Proof that the module is built for this runtime: a better-sqlite3 built for another ABI (another Node, or
  // Electron) fails here, not on the terminal.
  const probe = "const db = require('better-sqlite3')(':memory:'); process.stdout.write(db.prepare('select sqlite_version() as v').get().v)";
  try {
    return runTool(node, ['-e', probe], { cwd: appDir });
  } catch (error) {
    throw new ReleaseError(
      `node_modules/better-sqlite3 does not load in Node ${process.versions.node} (ABI ${process.versions.modules}); run npm rebuild better-sqlite3 with this Node. ${(error as Error).message}`,
    );
  }
}

/** Module ids the renderer build read, for the third-party licence list. */
function collectModules(into: Set<string>): Plugin {
  return { name: 'collect-modules', moduleParsed: (info) => void into.add(info.id) };
}

export type AppTree = { node: string; sqliteVersion: string; inputs: string[] };

/**
 * Everything the kiosk runs, laid out as in the checkout below `appDir`: out/host/ and out/cli/ (esbuild bundles,
 * no TypeScript or build tools at run time), out/renderer/ (vite), node/ (the runtime) and node_modules/ with
 * better-sqlite3 alone.
 */
export async function stageAppTree(appDir: string, version: string): Promise<AppTree> {
  const inputs = await bundleInstalledHost({ appDir, version });
  const rendererModules = new Set<string>();
  await viteBuild({
    root: path.join(repoRoot, 'renderer'),
    configFile: path.join(repoRoot, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir: path.join(appDir, 'out', 'renderer'), emptyOutDir: true },
    plugins: [collectModules(rendererModules)],
  });
  const node = stageNodeRuntime(appDir);
  const sqliteVersion = stageNativeModule(appDir, node);
  return { node, sqliteVersion, inputs: [...inputs, ...rendererModules] };
}
