import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiFailure, storageFailure } from '../http/api-failure.ts';
import { DeviceChanged, type StoredBatch, type StoringDevice } from '../store/event-store.ts';
import type { StoreOptions } from '../store/store.ts';
import type { VerifiedEvent } from './verify-event.ts';
import type { StoreRefusal, StoreRequest, StoreWorkerMessage } from './store-worker.ts';
import { workerScript, type Waiting } from './worker-script.ts';

const entry = fileURLToPath(new URL('./store-worker.ts', import.meta.url));

interface Thread {
  worker: Worker;
  waiting: Map<number, Waiting<StoredBatch>>;
  opened: Promise<void>;
  closed: Promise<void>;
}

export interface IngestWriter {
  /** The batch stored and committed (durably) by the writer thread, or refused as the event store refuses it. */
  storeBatch(device: StoringDevice, items: VerifiedEvent[], at: Date): Promise<StoredBatch>;
  /** Ahead of the first upload: the thread started and its store opened. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

function asError(refused: StoreRefusal, log: (line: string) => void): Error {
  switch (refused.kind) {
    case 'device_changed':
      return new DeviceChanged();
    case 'failure':
      return new ApiFailure(refused.error.code, refused.error.message, { status: refused.status as ContentfulStatusCode, details: refused.error.details });
    case 'storage':
      return storageFailure(refused.storage, refused.code, log);
    case 'internal':
      return new Error(refused.message);
  }
}

/**
 * Stores verified batches on a thread of their own, with its own connection (SQLite) or pool (PostgreSQL) to the
 * store the API opened: the inserts, the current-state upkeep and the durable commit (on SQLite an fsync) no longer
 * run on the HTTP thread, which is left to answer consent checks while kiosks sync (docs/benchmarks.md, Consent
 * check). The thread runs the same event store as before; a batch is acknowledged only once it has committed there.
 * A thread that dies fails the batches it held (500: the kiosk sends them again, nothing was committed) and the
 * next batch starts a new one.
 */
export function startIngestWriter(options: StoreOptions, log: (line: string) => void): IngestWriter {
  let thread: Promise<Thread> | null = null;
  let closing = false;
  let nextId = 0;

  async function spawn(): Promise<Thread> {
    const worker = new Worker(await workerScript(entry, { packages: 'external' }), { eval: true, workerData: options });
    worker.unref();
    const waiting = new Map<number, Waiting<StoredBatch>>();
    let opened!: () => void;
    let closed!: () => void;
    const spawned: Thread = { worker, waiting, opened: new Promise((resolve) => (opened = resolve)), closed: new Promise((resolve) => (closed = resolve)) };
    worker.on('message', (message: StoreWorkerMessage) => {
      if ('log' in message) return log(message.log);
      if ('opened' in message) return opened();
      if ('closed' in message) return closed();
      const held = waiting.get(message.id);
      if (!held) return;
      waiting.delete(message.id);
      if ('stored' in message) held.resolve(message.stored);
      else held.reject(asError(message.refused, log));
    });
    const fail = (error: Error) => {
      if (!closing) thread = null;
      for (const held of waiting.values()) held.reject(error);
      waiting.clear();
      opened();
      closed();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`ingest writer exited with code ${code}`)));
    return spawned;
  }

  function current(): Promise<Thread> {
    if (closing) return Promise.reject(new ApiFailure('storage_unavailable', 'The server is shutting down; nothing was stored. Retry later.'));
    thread ??= spawn();
    return thread;
  }

  return {
    async storeBatch(device, items, at) {
      const { worker, waiting } = await current();
      const id = nextId++;
      const { id: deviceId, credentialHash, keyId, businessIds, enrolledMs } = device;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, device: { id: deviceId, credentialHash, keyId, businessIds, enrolledMs }, items, atMs: at.getTime() } satisfies StoreRequest);
      });
    },
    async warm() {
      await (await current()).opened;
    },
    async close() {
      closing = true;
      const running = await thread?.catch(() => null);
      if (!running) return;
      running.worker.postMessage('close');
      await running.closed;
      await running.worker.terminate();
    },
  };
}
