/**
 * `npm start`: rebuilds the renderer, the console page (which the local API serves), the host bundle and the example
 * hosts when their sources are newer, starts the profile's example host application beside the kiosk
 * (build/demo-host.mjs), then runs the host bundle with plain Node (no TypeScript transpiling at start). Plain
 * JavaScript, because it runs before any build.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleHost, hostBundle, hostBundleIsStale, newestMtime } from './bundle-host.mjs';
import { bareScreenLayout, bundleExamples, demoHostToRun, examplesAreStale, startDemoHost } from './demo-host.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The vite builds npm start needs, each with what it is built from. */
const PAGES = [
  { name: 'renderer', script: 'build:renderer', sources: ['renderer', 'shared', 'vite.config.ts'] },
  { name: 'console', script: 'build:console', sources: ['console', 'shared'] },
];

function staleness({ name, sources }) {
  const built = newestMtime(path.join(root, 'out', name, 'index.html'));
  const newest = Math.max(...sources.map((entry) => newestMtime(path.join(root, entry))));
  return built === 0 ? `Building the ${name}…` : built > newest ? null : `The ${name}'s sources changed; rebuilding it…`;
}

let demoHost = null;
try {
  for (const page of PAGES) {
    const rebuild = staleness(page);
    if (!rebuild) continue;
    console.log(rebuild);
    const build = spawnSync('npm', ['run', '--silent', page.script], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`The ${page.name} build failed; see the output above.`);
  }
  if (hostBundleIsStale()) {
    console.log('Bundling the host…');
    await bundleHost();
  }
  demoHost = demoHostToRun(process.env);
  if (demoHost && examplesAreStale()) {
    console.log('Bundling the example hosts…');
    await bundleExamples();
  }
} catch (error) {
  console.error(`Cannot start the kiosk: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const layout = demoHost ? bareScreenLayout(process.env) : null;
if (layout) {
  console.log(`No window manager on this display: the example host's window goes ${layout.where}, the kiosk's beside it.`);
  process.env.KIOSK_WINDOW_AREA = layout.kiosk;
}
await import(pathToFileURL(hostBundle).href);
// Once the kiosk is up (its host API listening, Chromium on its way), not before: the kiosk's first screen comes first.
if (demoHost) startDemoHost(demoHost, layout ? { ...process.env, EXAMPLE_WINDOW_AREA: layout.example } : process.env);
