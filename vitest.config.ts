import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** The server's own tests, which run once per store. */
const SERVER_TESTS = ['test/unit/server/**/*.test.ts', 'test/fault/server-*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/setup/run-tmpdir.ts'],
    // Vitest's default, a worker fewer than the cores, is one file at a time on a 2-core machine; the tests spend much of
    // their time waiting on child processes, fsync and PostgreSQL, so two there took the run from 618 s to 407 s
    // (three: 435 s, all CPU by then).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx', 'test/fault/**/*.test.ts', 'test/release/**/*.test.ts'],
          provide: { store: 'sqlite' },
        },
      },
      {
        // a throwaway PostgreSQL cluster of Debian's packages for the run (test/setup/postgres-cluster.ts)
        extends: true,
        test: { name: 'postgres', include: SERVER_TESTS, globalSetup: ['test/setup/postgres-cluster.ts'], provide: { store: 'postgres' } },
      },
    ],
  },
});
