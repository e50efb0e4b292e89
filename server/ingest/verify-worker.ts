import { parentPort } from 'node:worker_threads';
import type { EnrolledDevice } from '../store/device-registry.ts';
import { checkEvent, type EventCheck } from './verify-event.ts';

/** One chunk of a batch's uploaded items, checked against the uploading device. */
export interface VerifyRequest {
  id: number;
  device: EnrolledDevice;
  items: unknown[];
}

export interface VerifyReply {
  id: number;
  checks: EventCheck[];
}

// The worker thread's whole job: a chunk in, one check per item out, in the same order.
parentPort?.on('message', ({ id, device, items }: VerifyRequest) => {
  parentPort!.postMessage({ id, checks: items.map((item) => checkEvent(item, device)) } satisfies VerifyReply);
});
