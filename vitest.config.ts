import { defineConfig } from 'vitest/config';

/** The server's own tests, which run once per store. */
const SERVER_TESTS = ['test/unit/server/**/*.test.ts', 'test/fault/server-*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/setup/run-tmpdir.ts'],
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
