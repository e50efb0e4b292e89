import { parentPort, workerData } from 'node:worker_threads';
import { KioskFailure, type KioskError } from '../../shared/contract/errors.ts';
import { statusOf } from '../http/api-failure.ts';
import { DeviceChanged, type StoredBatch, type StoringDevice } from '../store/event-store.ts';
import type { StorageFailure } from '../store/sql.ts';
import { openStore, type Store, type StoreOptions } from '../store/store.ts';
import { INGEST_THREAD_NICE, setThreadNice } from './thread-priority.ts';
import type { VerifiedEvent } from './verify-event.ts';

/** One verified batch to store, with the time the API received it. */
export interface StoreRequest {
  id: number;
  device: StoringDevice;
  items: VerifiedEvent[];
  atMs: number;
}

/** Why a batch was not stored, as it crosses back to the HTTP thread (an Error keeps neither its class nor its code). */
export type StoreRefusal =
  | { kind: 'device_changed' }
  | { kind: 'failure'; error: KioskError; status: number }
  | { kind: 'storage'; storage: StorageFailure; code: string | undefined }
  | { kind: 'internal'; message: string };

export type StoreWorkerMessage =
  | { id: number; stored: StoredBatch }
  | { id: number; refused: StoreRefusal }
  | { log: string }
  | { opened: true }
  | { closed: true };

const port = parentPort!;
// Behind the HTTP thread when the cores are short: a consent check is not kept waiting by a batch's inserts.
setThreadNice(INGEST_THREAD_NICE);
const log = (line: string) => port.postMessage({ log: line } satisfies StoreWorkerMessage);
// The main thread has opened (and migrated) the store already: this connection (SQLite) or pool (PostgreSQL) is
// the ingest writer's own, so a batch's statements and its durable commit never hold the HTTP thread.
const opened = openStore(workerData as StoreOptions, () => new Date(), log);
let store: Store | undefined;
void opened.then(
  (open) => {
    store = open;
    port.postMessage({ opened: true } satisfies StoreWorkerMessage);
  },
  (error: unknown) => log(`ingest writer: the store did not open (${(error as Error).message})`),
);

function refusal(error: unknown): StoreRefusal {
  if (error instanceof DeviceChanged) return { kind: 'device_changed' };
  if (error instanceof KioskFailure) return { kind: 'failure', error: error.toJSON(), status: statusOf(error) };
  const storage = store?.failure(error) ?? null;
  if (storage !== null) return { kind: 'storage', storage, code: (error as { code?: string }).code };
  return { kind: 'internal', message: error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown' };
}

port.on('message', (message: StoreRequest | 'close') => {
  if (message === 'close') {
    void opened
      .then((open) => open.close())
      .finally(() => {
        port.postMessage({ closed: true } satisfies StoreWorkerMessage);
        port.close();
      });
    return;
  }
  const { id, device, items, atMs } = message;
  void opened
    .then((open) => open.events.storeBatch(device, items, new Date(atMs)))
    .then(
      (stored) => port.postMessage({ id, stored } satisfies StoreWorkerMessage),
      (error: unknown) => port.postMessage({ id, refused: refusal(error) } satisfies StoreWorkerMessage),
    );
});
