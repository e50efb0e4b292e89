/**
 * `npm start`: rebuilds the renderer and the host bundle when their sources are newer, then runs the host bundle
 * with plain Node (no TypeScript transpiling at start). Plain JavaScript, because it runs before any build.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleHost, hostBundle, hostBundleIsStale, newestMtime } from './bundle-host.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function rendererIsStale() {
  const built = newestMtime(path.join(root, 'out', 'renderer', 'index.html'));
  const sources = Math.max(...['renderer', 'shared', 'vite.config.ts'].map((entry) => newestMtime(path.join(root, entry))));
  return built === 0 ? 'Building the renderer…' : built > sources ? null : 'Renderer sources changed; rebuilding the renderer…';
}

try {
  const rebuildRenderer = rendererIsStale();
  if (rebuildRenderer) {
    console.log(rebuildRenderer);
    const build = spawnSync('npm', ['run', '--silent', 'build:renderer'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('The renderer build failed; see the output above.');
  }
  if (hostBundleIsStale()) {
    console.log('Bundling the host…');
    await bundleHost();
  }
} catch (error) {
  console.error(`Cannot start the kiosk: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
await import(pathToFileURL(hostBundle).href);
