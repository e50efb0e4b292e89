import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants, getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../../../server/spawn-server.ts';

let server: ServerProcess | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Every thread's nice value, from /proc: worker threads have their own. */
function threadPriorities(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((thread) => {
    const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

it('runs a background API at the lowest CPU priority, its verify threads included', async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'consent-api-background-'));
  server = await spawnServer({ dataDir, port: 0 }, { background: true });
  const pid = server.child.pid!;
  expect(getPriority(pid)).toBe(constants.priority.PRIORITY_LOW);
  if (process.platform !== 'linux') return;
  // The verify threads start around the time it listens (after a build of their script): look for three seconds.
  for (let sample = 0; sample < 10; sample++) {
    expect(new Set(threadPriorities(pid))).toEqual(new Set([constants.priority.PRIORITY_LOW]));
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  expect((await fetch(`${server.url}/health`)).ok).toBe(true);
});
