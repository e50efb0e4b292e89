// npm run mutation: mutation testing of the modules that decide proof and consent state (docs/testing.md).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'test/mutation/vitest.config.ts' },
  coverageAnalysis: 'perTest',
  // The one list to repoint when a module moves: the code that decides what counts as proof and what a check answers.
  mutate: [
    // the kiosk's own chain: what `kioskctl verify` and the export call intact, and the clock it signs into it
    'electron/ledger/verify-chain.ts',
    'electron/ledger/clock-quality.ts',
    'electron/sync/api-statements.ts',
    // the API: which events it accepts as signed by whom, when each took effect, which WhatsApp changes apply to
    // which business, and what a check answers (from history and from the current-state table)
    'server/ingest/check-batch.ts',
    'server/ingest/verify-event.ts',
    // which of its own statements the API takes back as evidence of time: the key valid at issue, the signature, the
    // device (the key file's loading above line 45 is configuration, not evidence)
    'server/keys/statement-key.ts:45-71',
    'server/store/api-keys.ts',
    'server/store/event-times.ts',
    'server/store/consent-states.ts',
    'server/consent/resolve-state.ts',
    'server/consent/whatsapp-changes.ts',
  ],
  // the per-module minimum is test/mutation/check-scores.ts; this one fails the run on the score of all together
  thresholds: { high: 95, low: 90, break: 90 },
  // a shared 2-core machine: one test process at a time
  concurrency: 1,
  timeoutMS: 30_000,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['out', 'dist', 'release', 'test-results', 'playwright-report', '.kiosk-data', '.consent-api-data', '.release-keys', 'reports'],
  cleanTempDir: true,
};
