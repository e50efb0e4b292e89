import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One scratch directory for a whole test run, handed to every test and every process a test starts as TMPDIR, and
 * removed when the run ends: a run makes over a thousand ledgers, data dirs and browser profiles (≈ 40 MB), and a
 * test that fails or a child killed mid-way would otherwise leave them in /tmp for good.
 *
 * Vitest calls a root global setup once more for every project that extends the root; the first call owns the
 * directory (KIOSK_TEST_SCRATCH says it is taken) and the later ones leave it alone.
 */
export default function setup(): () => void {
  if (process.env.KIOSK_TEST_SCRATCH) return () => {};
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-tests-'));
  // as /tmp: the PostgreSQL cluster and the release tests' accounts run as other users and make their own dirs here
  chmodSync(dir, 0o1777);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  process.env.KIOSK_TEST_SCRATCH = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    delete process.env.KIOSK_TEST_SCRATCH;
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
}
