import type Database from 'better-sqlite3';
import { ServiceEventBody } from '../../shared/contract/chain-event.ts';
import { parseOrFail } from '../../shared/contract/errors.ts';
import type { ChainAppend } from './chain-append.ts';
import { withStorageErrors } from './storage-errors.ts';

export const ServiceEventInput = ServiceEventBody.pick({ session: true, technician: true, action: true, outcome: true, detail: true }).strict();
export type ServiceEventInput = ReturnType<typeof ServiceEventInput.parse>;

export type RecordedServiceEvent = { id: string; seq: number };

/** Appends what a technician did to the chain, signed and synced like every other event; durable on return. */
export function prepareServiceEvent(db: Database.Database, chain: ChainAppend) {
  const append = db.transaction((input: ServiceEventInput) => {
    const stamp = chain.stamp();
    const body: ServiceEventBody = { ...chain.nextLink(chain.head(), stamp), type: 'service', ...input };
    const hash = chain.write(body, null);
    chain.setHead({ seq: body.seq, hash });
    return { id: body.id, seq: body.seq };
  });
  return (raw: unknown): RecordedServiceEvent => withStorageErrors(() => append.immediate(parseOrFail(ServiceEventInput, raw, 'service event')));
}
