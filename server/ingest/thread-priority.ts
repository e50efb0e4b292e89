import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The nice value of the threads that verify and store uploaded batches. The HTTP thread stays at the process's own
 * (normally 0), so when the cores are short it is scheduled ahead of ingest and a consent check does not queue
 * behind Ed25519 and inserts (docs/benchmarks.md, "Server: checks beside ingest, third round"). Ingest loses
 * nothing when the cores are idle: a nice value only decides who runs when threads compete.
 */
export const INGEST_THREAD_NICE = 19;

/**
 * Gives the calling thread alone the nice value `nice`. On Linux a thread's nice value is its own: the kernel takes
 * a thread id wherever setpriority(2) takes a process id, and `/proc/thread-self` names the caller's. Elsewhere
 * (another platform, a /proc hidden by a sandbox) the thread keeps the process's priority.
 */
export function setThreadNice(nice: number): void {
  if (process.platform !== 'linux') return;
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, nice);
  } catch {
    // no thread of its own to set: ingest runs at the process's priority, as before
  }
}
