import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalCluster } from '../../server/store/postgres/local-cluster.ts';

/**
 * One throwaway PostgreSQL cluster (Debian's packages, initdb + pg_ctl in a temp dir, a free loopback port) for a
 * whole test run of the `postgres` project; every test file makes its own database in it (test/unit/server/test-store.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // beside the run's scratch directory, not in it: the scratch goes at the end of the run, maybe before this teardown
  const scratch = process.env.KIOSK_TEST_SCRATCH;
  const dir = mkdtempSync(join(scratch ? dirname(scratch) : tmpdir(), 'consent-pg-'));
  const cluster = await startLocalCluster({ dir, database: 'postgres', throwaway: true });
  project.provide('postgresUrl', cluster.url);
  project.provide('postgresDir', join(dir, 'data'));
  return async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** `sqlite` or `postgres`: which store this project runs the server tests against. */
    store: 'sqlite' | 'postgres';
    postgresUrl: string;
    /** The cluster's data directory, to look for personal data in clear on disk. */
    postgresDir: string;
  }
}
