// npm run mutation: mutation testing of the modules that decide proof and consent state (docs/testing.md).

// The one list to repoint when a module moves: the code that decides what counts as proof and what a check answers,
// each with the tests that can kill its mutants in this process. `npm run mutation` runs one Stryker run per entry
// (its own dry run over its own tests, its own incremental file), so a module is tested by the tests that matter for
// it, and a survivor costs only those.
const SERVER_IN_PROCESS = ['test/unit/server/**/*.test.ts'];
export const GROUPS = [
  // the kiosk's own chain: what `kioskctl verify` and the export call intact, and the clock it signs into it
  { name: 'ledger', mutate: ['electron/ledger/verify-chain.ts', 'electron/ledger/clock-quality.ts'], tests: ['test/unit/ledger/**/*.test.ts'] },
  { name: 'sync', mutate: ['electron/sync/api-statements.ts'], tests: ['test/unit/sync/**/*.test.ts'] },
  // the API: which events it accepts as signed by whom, and what a check answers from history
  {
    name: 'ingest',
    mutate: ['server/ingest/check-batch.ts', 'server/ingest/verify-event.ts', 'server/consent/resolve-state.ts'],
    tests: SERVER_IN_PROCESS,
  },
  // the current-state table a check reads, kept by every write that changes a number's history
  {
    name: 'consent-states',
    mutate: ['server/store/consent-states.ts'],
    tests: ['consent-state-table', 'consent-state-upkeep', 'consent-state', 'effective-time', 'whatsapp-webhook', 'ingest', 'personal-data'].map(
      (name) => `test/unit/server/${name}.test.ts`,
    ),
  },
  // when each event took effect: its bounds and the clock observation that places it
  { name: 'event-times', mutate: ['server/store/event-times.ts'], tests: ['test/unit/server/event-times.test.ts'] },
  // which WhatsApp changes a delivery makes, for which business, at what time
  { name: 'whatsapp-changes', mutate: ['server/consent/whatsapp-changes.ts'], tests: ['test/unit/server/whatsapp-changes.test.ts'] },
  // which of its own statements the API takes back as evidence of time: the key valid at issue, the signature, the
  // device (the key file's loading above line 45 is configuration, not evidence)
  { name: 'statement-key', mutate: ['server/keys/statement-key.ts:45-71', 'server/store/api-keys.ts'], tests: ['test/unit/server/statement-key.test.ts'] },
];

// MUTATION_GROUP names the entry this run is for (run-mutation.ts sets it); without it, every module and every test.
const group = GROUPS.find((entry) => entry.name === process.env.MUTATION_GROUP);
if (process.env.MUTATION_GROUP && !group) throw new Error(`no mutation group ${process.env.MUTATION_GROUP} in stryker.config.mjs`);
const reportName = group?.name ?? 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'test/mutation/vitest.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: group ? group.mutate : GROUPS.flatMap((entry) => entry.mutate),
  testFiles: group ? group.tests : [],
  // the minimum, per module, is test/mutation/check-scores.ts's (after run-mutation.ts has run the static survivors)
  thresholds: { high: 95, low: 90, break: null },
  // a shared 2-core machine: one test process at a time
  concurrency: 1,
  timeoutMS: 30_000,
  incremental: true,
  incrementalFile: `reports/mutation/${reportName}.incremental.json`,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${reportName}.json` },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['out', 'dist', 'release', 'test-results', 'playwright-report', '.kiosk-data', '.consent-api-data', '.release-keys', 'reports'],
  cleanTempDir: true,
};
