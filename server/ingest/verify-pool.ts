import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { EnrolledDevice } from '../store/device-registry.ts';
import type { EventCheck } from './verify-event.ts';
import type { VerifyReply, VerifyRequest } from './verify-worker.ts';

const entry = fileURLToPath(new URL('./verify-worker.ts', import.meta.url));

/**
 * Items per message. A 500-event batch becomes ten messages spread over the workers, so each worker starts on its
 * share at once, while the per-message cost (a few tens of µs) stays small beside the ≈ 80 µs verify per item.
 */
const CHUNK_ITEMS = 50;

interface Waiting {
  resolve: (checks: EventCheck[]) => void;
  reject: (error: Error) => void;
  size: number;
}

interface Thread {
  worker: Worker;
  waiting: Map<number, Waiting>;
  load: number;
}

let bundled: Promise<string> | undefined;

/**
 * The worker as one CommonJS script, built once per process: a worker thread does not inherit tsx's loader (nor
 * vitest's), so it cannot import the TypeScript sources itself.
 */
function workerScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'none',
  }).then((result) => result.outputFiles[0]?.text ?? '');
  return bundled;
}

/**
 * Checks uploaded events (schema, device, key, commitment, Ed25519 signature) on worker threads, one message per
 * chunk of items, with the synchronous crypto.verify inside the worker. On the main thread this costs a message per
 * chunk instead of a thread-pool callback per event, so the main thread is left to HTTP and SQLite.
 */
export function createVerifyPool(size = availableParallelism()) {
  const threads: (Thread | null)[] = Array.from({ length: Math.max(1, size) }, () => null);
  let nextId = 0;

  function spawn(script: string, index: number): Thread {
    const thread: Thread = { worker: new Worker(script, { eval: true }), waiting: new Map(), load: 0 };
    thread.worker.unref();
    thread.worker.on('message', ({ id, checks }: VerifyReply) => {
      const waiting = thread.waiting.get(id);
      if (!waiting) return;
      thread.waiting.delete(id);
      thread.load -= waiting.size;
      waiting.resolve(checks);
    });
    const fail = (error: Error) => {
      // a dead worker fails only its own chunks (their batches answer 500 and are retried); the next chunk respawns it
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
      if (best < 0 || thread.load < threads[best]!.load) best = index;
    }
    return threads[best]!;
  }

  function checkChunk(thread: Thread, device: EnrolledDevice, items: unknown[]): Promise<EventCheck[]> {
    const id = nextId++;
    thread.load += items.length;
    return new Promise((resolve, reject) => {
      thread.waiting.set(id, { resolve, reject, size: items.length });
      thread.worker.postMessage({ id, device, itemsJson: JSON.stringify(items) } satisfies VerifyRequest);
    });
  }

  return {
    /** One check per item, in the items' order. */
    async check(device: EnrolledDevice, items: unknown[]): Promise<EventCheck[]> {
      const script = await workerScript();
      const chunks: Promise<EventCheck[]>[] = [];
      for (let start = 0; start < items.length; start += CHUNK_ITEMS) {
        chunks.push(checkChunk(leastLoaded(script), device, items.slice(start, start + CHUNK_ITEMS)));
      }
      return (await Promise.all(chunks)).flat();
    },
    /** Starts the threads ahead of the first upload, so it does not wait for the build and the workers' start-up. */
    async warm(): Promise<void> {
      leastLoaded(await workerScript());
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
