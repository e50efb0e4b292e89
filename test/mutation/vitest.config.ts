import { defineConfig } from 'vitest/config';

// The tests Stryker may run against a mutant: those that exercise the mutated modules in its own process. Tests
// whose subject runs in a child process (kioskctl, the spawned API, the crash and kill tests) cannot see a mutant
// and only cost time, so they are left out (docs/testing.md).
export default defineConfig({
  test: {
    include: ['test/unit/ledger/**/*.test.ts', 'test/unit/server/**/*.test.ts', 'test/unit/sync/**/*.test.ts', 'test/mutation/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
