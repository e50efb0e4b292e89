import { isBuiltin } from 'node:module';
import { createRequire } from 'node:module';
import { build, type Plugin } from 'esbuild';

/**
 * Packages stay outside the bundle (native ones cannot be bundled: better-sqlite3, argon2), each required by its
 * absolute path: a worker evaluated from a string resolves a bare name from the process's working directory, not
 * from this tree.
 */
const packagesByPath: Plugin = {
  name: 'packages-by-path',
  setup(bundler) {
    bundler.onResolve({ filter: /^[^./]/ }, ({ path, resolveDir }) =>
      isBuiltin(path) ? { path, external: true } : { path: createRequire(`${resolveDir}/`).resolve(path), external: true },
    );
  },
};

/** A request posted to a worker thread, until its reply comes (or the thread dies). */
export interface Waiting<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

const bundles = new Map<string, Promise<string>>();

/**
 * A worker's entry as one CommonJS script, built once per process: a worker thread does not inherit tsx's loader
 * (nor vitest's), so it cannot import the TypeScript sources itself. Start it with `new Worker(script, { eval: true })`.
 */
export function workerScript(entry: string, { packages = 'bundled' }: { packages?: 'bundled' | 'external' } = {}): Promise<string> {
  let bundled = bundles.get(entry);
  if (!bundled) {
    bundled = build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      minify: true,
      legalComments: 'none',
      plugins: packages === 'external' ? [packagesByPath] : [],
    }).then((result) => result.outputFiles[0]?.text ?? '');
    bundles.set(entry, bundled);
  }
  return bundled;
}
