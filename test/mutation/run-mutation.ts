import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface MutationGroup {
  name: string;
  mutate: string[];
  tests: string[];
}
const { GROUPS } = (await import(new URL('../../stryker.config.mjs', import.meta.url).href)) as { GROUPS: MutationGroup[] };

// npm run mutation [-- group names, e.g. event-times consent-states] [-- --force]: one Stryker run per entry of
// GROUPS in stryker.config.mjs (all of them unless named), each over its own tests with its own incremental file,
// then the per-module check of the reports they wrote (check-scores.ts). A run that stops keeps the groups it
// finished; the next run reuses every result whose code and covering tests did not change.
const args = process.argv.slice(2);
const named = args.filter((arg) => !arg.startsWith('-'));
const options = args.filter((arg) => arg.startsWith('-'));
const unknown = named.filter((name) => !GROUPS.some((group) => group.name === name));
if (unknown.length > 0) {
  console.error(`no mutation group ${unknown.join(', ')}; the groups are ${GROUPS.map((group) => group.name).join(', ')}`);
  process.exit(2);
}
const chosen = named.length === 0 ? GROUPS : GROUPS.filter((group) => named.includes(group.name));

interface ReportMutant {
  id: string;
  static?: boolean;
  status: string;
  statusReason?: string;
  replacement: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}
type Report = { files: Record<string, { mutants: ReportMutant[] }> };

/**
 * Stryker's Vitest runner reports a mutant of code that runs once, when its module loads (a SQL text constant, a
 * module-level function), as survived with every test passing, because it does not activate it then (a test run
 * of the same change made in the source fails: docs/testing.md). So each such survivor is made in a copy of the
 * tree (the worktree is never changed: other runs may read it meanwhile), the group's tests run against it, and one
 * those tests fail on counts as killed.
 */
function runStaticSurvivors(group: MutationGroup): void {
  const path = `reports/mutation/${group.name}.json`;
  if (!fs.existsSync(path)) return;
  const report = JSON.parse(fs.readFileSync(path, 'utf8')) as Report;
  const survivors = Object.entries(report.files).flatMap(([file, { mutants }]) => mutants.filter((m) => m.static && m.status === 'Survived').map((mutant) => ({ file, mutant })));
  if (survivors.length === 0) return;
  const copy = fs.mkdtempSync(join(tmpdir(), 'mutation-static-'));
  try {
    const files = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
    for (const file of files.filter((name) => fs.existsSync(name))) fs.cpSync(file, join(copy, file), { recursive: true });
    fs.symlinkSync(fs.realpathSync('node_modules'), join(copy, 'node_modules'));
    const groupTests = () =>
      spawnSync('npx', ['vitest', 'run', '--config', 'test/mutation/vitest.config.ts', '--bail', '1', ...group.tests.map((glob) => glob.split('*')[0]!)], { cwd: copy, stdio: 'ignore' }).status;
    // a copy whose tests fail unmutated would count every mutant killed
    if (groupTests() !== 0) {
      console.error(`mutation group ${group.name}: its tests fail in a copy of the tree; static survivors left as Stryker reported them`);
      return;
    }
    for (const { file, mutant } of survivors) {
      const original = fs.readFileSync(file, 'utf8');
      const lines = original.split('\n');
      const offset = ({ line, column }: { line: number; column: number }) => lines.slice(0, line - 1).reduce((n, text) => n + text.length + 1, 0) + column - 1;
      fs.writeFileSync(join(copy, file), original.slice(0, offset(mutant.location.start)) + mutant.replacement + original.slice(offset(mutant.location.end)));
      const status = groupTests();
      fs.writeFileSync(join(copy, file), original);
      if (status !== 0) Object.assign(mutant, { status: 'Killed', statusReason: 'a static mutant, killed when made in a copy of the source (run-mutation.ts)' });
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
  fs.writeFileSync(path, JSON.stringify(report));
}

let failed = false;
for (const group of chosen) {
  const started = Date.now();
  const run = spawnSync('npx', ['stryker', 'run', ...options], { stdio: 'inherit', env: { ...process.env, MUTATION_GROUP: group.name } });
  runStaticSurvivors(group);
  console.log(`mutation group ${group.name}: ${Math.round((Date.now() - started) / 1000)} s, exit ${run.status}`);
  failed ||= run.status !== 0;
}
const check = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./check-scores.ts', import.meta.url)), ...GROUPS.map((group) => `reports/mutation/${group.name}.json`)], {
  stdio: 'inherit',
});
process.exit(failed ? 1 : (check.status ?? 1));
