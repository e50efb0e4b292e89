import { defineConfig } from 'vitest/config';
import FastestFirst from './fastest-first.ts';

// The tests Stryker may run against a mutant: those that exercise the mutated modules in its own process, on the
// SQLite store. Tests whose subject runs in a child process (kioskctl, the spawned API, the crash and kill tests)
// cannot see a mutant and only cost time, so they are left out, as is the PostgreSQL project: the store's
// JavaScript is the same on both, and its SQL is not mutated (docs/testing.md).
export default defineConfig({
  test: {
    include: ['test/unit/ledger/**/*.test.ts', 'test/unit/server/**/*.test.ts', 'test/unit/sync/**/*.test.ts', 'test/mutation/**/*.test.ts'],
    exclude: ['test/unit/server/spawn-server.test.ts'],
    provide: { store: 'sqlite' },
    sequence: { sequencer: FastestFirst },
    isolate: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
