import fs from 'node:fs';
import path from 'node:path';

// Stryker's own threshold applies to the score of all files together; the promise here is per module: each one
// that decides proof or consent state kills at least MINIMUM of its mutants (docs/testing.md). Reads the JSON
// report the run just wrote (incremental runs included: it holds every mutant, re-run or reused).

const MINIMUM = 90;
/** The JSON reports of the runs (run-mutation.ts passes one per group); a report that is missing was never measured. */
const REPORTS = process.argv.length > 2 ? process.argv.slice(2) : ['reports/mutation/all.json'];

type Status = 'Killed' | 'Timeout' | 'Survived' | 'NoCoverage' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';
interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: Status;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

/** The code a mutant replaced, on one line. */
function original(source: string, { start, end }: Mutant['location']): string {
  const lines = source.split('\n');
  const text = start.line === end.line ? lines[start.line - 1]!.slice(start.column - 1, end.column - 1) : `${lines[start.line - 1]!.slice(start.column - 1)}…`;
  return text.replace(/\s+/g, ' ').slice(0, 80);
}

const missing = REPORTS.filter((report) => !fs.existsSync(path.resolve(report)));
const files = Object.assign({}, ...REPORTS.filter((report) => !missing.includes(report)).map((report) => (JSON.parse(fs.readFileSync(path.resolve(report), 'utf8')) as Report).files)) as Report['files'];
const rows = Object.entries(files)
  .map(([file, { source, mutants }]) => {
    const count = (...statuses: Status[]) => mutants.filter((mutant) => statuses.includes(mutant.status)).length;
    const detected = count('Killed', 'Timeout');
    const undetected = mutants.filter((mutant) => mutant.status === 'Survived' || mutant.status === 'NoCoverage');
    const score = detected + undetected.length === 0 ? 100 : (100 * detected) / (detected + undetected.length);
    return { file, source, detected, undetected, score };
  })
  .sort((a, b) => a.file.localeCompare(b.file));

for (const { file, source, detected, undetected, score } of rows) {
  const verdict = score >= MINIMUM ? 'ok' : `BELOW ${MINIMUM} %`;
  console.log(`${score.toFixed(2).padStart(6)} %  ${String(detected).padStart(4)} killed  ${String(undetected.length).padStart(3)} left  ${file}  ${verdict}`);
  for (const mutant of undetected) {
    const { line, column } = mutant.location.start;
    const replacement = (mutant.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80);
    console.log(`      ${mutant.status === 'NoCoverage' ? 'not covered' : 'survived'} ${file}:${line}:${column} ${mutant.mutatorName}: ${original(source, mutant.location)} → ${replacement}`);
  }
}

for (const report of missing) console.log(`     —                         ${report}  NOT MEASURED (no report: run its group)`);
const below = rows.filter((row) => row.score < MINIMUM);
if (missing.length > 0) process.exitCode = 1;
if (below.length > 0) {
  console.error(`${below.length} module(s) below ${MINIMUM} % of mutants killed: ${below.map((row) => row.file).join(', ')}`);
  process.exitCode = 1;
}
