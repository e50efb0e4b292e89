import { parentPort } from 'node:worker_threads';
import type { EnrolledDevice } from './verify-event.ts';
import { checkBatch, type BatchCheck } from './check-batch.ts';

/** One uploaded batch, as the raw request body, checked against the uploading device. */
export interface VerifyRequest {
  id: number;
  device: EnrolledDevice;
  body: Uint8Array;
}

export interface VerifyReply {
  id: number;
  check: BatchCheck;
}

// The worker thread's whole job: a request body in, the batch's verdict out.
parentPort?.on('message', ({ id, device, body }: VerifyRequest) => {
  parentPort!.postMessage({ id, check: checkBatch(body, device) } satisfies VerifyReply);
});
