import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Business } from '../../shared/contract/profile.ts';
import type { EnrolledDevice } from './verify-event.ts';
import type { BatchCheck } from './check-batch.ts';
import type { VerifyReply, VerifyRequest } from './verify-worker.ts';
import { workerScript, type Waiting } from './worker-script.ts';

const entry = fileURLToPath(new URL('./verify-worker.ts', import.meta.url));

interface Thread {
  worker: Worker;
  waiting: Map<number, Waiting<BatchCheck>>;
}

/**
 * Checks uploaded batches (JSON, envelope, then per event schema, device, key, commitment, Ed25519 signature) on
 * worker threads, one message per batch holding the raw request body, with the synchronous crypto.verify inside
 * the worker. The main thread neither parses nor re-serialises the batch: it is left to HTTP, the chain check and
 * SQLite.
 */
export function createVerifyPool(size = availableParallelism()) {
  const threads: (Thread | null)[] = Array.from({ length: Math.max(1, size) }, () => null);
  let nextId = 0;

  function spawn(script: string, index: number): Thread {
    const thread: Thread = { worker: new Worker(script, { eval: true }), waiting: new Map() };
    thread.worker.unref();
    thread.worker.on('message', ({ id, check }: VerifyReply) => {
      const waiting = thread.waiting.get(id);
      if (!waiting) return;
      thread.waiting.delete(id);
      waiting.resolve(check);
    });
    const fail = (error: Error) => {
      // a dead worker fails only its own batches (they answer 500 and are retried); the next batch respawns it
      if (threads[index] === thread) threads[index] = null;
      for (const waiting of thread.waiting.values()) waiting.reject(error);
      thread.waiting.clear();
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => fail(new Error(`verify worker exited with code ${code}`)));
    return thread;
  }

  function leastLoaded(script: string): Thread {
    let best = -1;
    for (let index = 0; index < threads.length; index++) {
      const thread = threads[index] ?? (threads[index] = spawn(script, index));
      if (best < 0 || thread.waiting.size < threads[best]!.waiting.size) best = index;
    }
    return threads[best]!;
  }

  return {
    /**
     * The batch's verdict from a worker: the body is parsed and every event checked there. A whole batch goes to one
     * thread (the least busy), so batches in flight at once run in parallel, one per thread. Takes the body over:
     * the caller must not use it afterwards.
     */
    async check(device: EnrolledDevice, businesses: readonly Business[], body: Uint8Array): Promise<BatchCheck> {
      const thread = leastLoaded(await workerScript(entry));
      const id = nextId++;
      // a body that owns its whole buffer moves to the worker instead of being copied (the caller is done with it)
      const transfer = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? [body.buffer as ArrayBuffer] : [];
      return new Promise((resolve, reject) => {
        thread.waiting.set(id, { resolve, reject });
        thread.worker.postMessage({ id, device, businesses, body } satisfies VerifyRequest, transfer);
      });
    },
    /** Starts the threads ahead of the first upload, so it does not wait for the build and the workers' start-up. */
    async warm(): Promise<void> {
      leastLoaded(await workerScript(entry));
    },
  };
}

export type VerifyPool = ReturnType<typeof createVerifyPool>;

let shared: VerifyPool | undefined;

/** One pool per process, shared by every API instance in it: the checks are stateless, the threads unref'd. */
export function sharedVerifyPool(): VerifyPool {
  shared ??= createVerifyPool();
  return shared;
}
