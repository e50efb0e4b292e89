import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// npm run mutation [-- stryker options, e.g. --mutate server/consent/resolve-state.ts or --force]: Stryker with
// stryker.config.mjs, then the per-module check of the report it wrote (check-scores.ts).
const stryker = spawnSync('npx', ['stryker', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
if (stryker.status !== 0) process.exit(stryker.status ?? 1);
const check = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./check-scores.ts', import.meta.url))], { stdio: 'inherit' });
process.exit(check.status ?? 1);
