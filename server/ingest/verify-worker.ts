import { parentPort } from 'node:worker_threads';
import type { EnrolledDevice } from '../store/device-registry.ts';
import { checkEvent, type EventCheck } from './verify-event.ts';

/**
 * One chunk of a batch's uploaded items, checked against the uploading device. The items travel as JSON text:
 * JSON.stringify here and JSON.parse there cost less than half of structured-cloning the nested objects.
 */
export interface VerifyRequest {
  id: number;
  device: EnrolledDevice;
  itemsJson: string;
}

export interface VerifyReply {
  id: number;
  checks: EventCheck[];
}

// The worker thread's whole job: a chunk in, one check per item out, in the same order.
parentPort?.on('message', ({ id, device, itemsJson }: VerifyRequest) => {
  const items = JSON.parse(itemsJson) as unknown[];
  parentPort!.postMessage({ id, checks: items.map((item) => checkEvent(item, device)) } satisfies VerifyReply);
});
