import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INGEST_THREAD_NICE } from '../../../server/ingest/thread-priority.ts';
import type { TestKiosk } from './test-kiosk.ts';
import { startWithEnrolledKiosk, type TestServer } from './test-server.ts';
import { STORE } from './test-store.ts';

let api: TestServer;
let kiosk: TestKiosk;
let credential: string;

beforeEach(async () => ({ api, kiosk, credential } = await startWithEnrolledKiosk()));
afterEach(() => api.stop());

/** A thread's nice value as the kernel holds it: field 19 of /proc/<pid>/task/<tid>/stat. */
function niceOf(tid: string): number {
  // the command name, field 2, is in parentheses and may hold spaces: count from after it
  const fields = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return Number(fields[16]);
}

describe.runIf(process.platform === 'linux')(`the threads of ingest run behind the HTTP thread (${STORE})`, () => {
  it('puts every verify thread and the ingest writer at the ingest nice value, and leaves the HTTP thread as it was', async () => {
    // the server runs on this thread: the one that answers HTTP
    const httpThread = readlinkSync('/proc/thread-self').split('/').pop()!;
    const httpNiceBefore = niceOf(httpThread);
    // a batch spawns the verify threads and the writer (if they were not running already)
    await api.ingest(credential, kiosk.events(2, { phone: '+819012340001' }));

    const ingestThreads = readdirSync(`/proc/${process.pid}/task`).filter((tid) => tid !== httpThread && niceOf(tid) === INGEST_THREAD_NICE);
    // one verify thread per core, and the writer. Run at nice 19 itself, every thread of the test is at 19 and this
    // proves nothing: below it (`nice -n 18`) the code before this change fails here
    expect(ingestThreads.length).toBeGreaterThanOrEqual(availableParallelism() + 1);
    expect(niceOf(httpThread)).toBe(httpNiceBefore);
  });
});
