import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx', 'test/fault/**/*.test.ts', 'test/release/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
