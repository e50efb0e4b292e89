import { parentPort } from 'node:worker_threads';
import type { Business } from '../../shared/contract/profile.ts';
import type { EnrolledDevice } from './verify-event.ts';
import { checkBatch, type BatchCheck } from './check-batch.ts';
import { INGEST_THREAD_NICE, setThreadNice } from './thread-priority.ts';

/** One uploaded batch, as the raw request body, checked against the uploading device and the business registry. */
export interface VerifyRequest {
  id: number;
  device: EnrolledDevice;
  businesses: readonly Business[];
  body: Uint8Array;
}

export interface VerifyReply {
  id: number;
  check: BatchCheck;
}

// Behind the HTTP thread when the cores are short: a consent check is not kept waiting by a batch's signatures.
setThreadNice(INGEST_THREAD_NICE);

// The worker thread's whole job: a request body in, the batch's verdict out.
parentPort?.on('message', ({ id, device, businesses, body }: VerifyRequest) => {
  parentPort!.postMessage({ id, check: checkBatch(body, device, businesses) } satisfies VerifyReply);
});
