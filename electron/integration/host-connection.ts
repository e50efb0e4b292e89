import type {
  CompletionCode,
  HostCommandName,
  HostCompletion,
  HostEvent,
  HostEventName,
  HostUnsolicited,
  HostUnsolicitedName,
} from '../../shared/contract/host-api.ts';

/** One connected host application, as the step coordinator sees it: something to complete commands on. */
export type HostConnection = {
  readonly id: number;
  complete<N extends HostCommandName>(
    name: N,
    requestId: number,
    completionCode: CompletionCode,
    payload: HostCompletion<N>['payload'],
    errorDescription?: string,
  ): void;
  event<N extends HostEventName>(name: N, requestId: number, payload: HostEvent<N>['payload']): void;
  unsolicited<N extends HostUnsolicitedName>(name: N, payload: HostUnsolicited<N>['payload']): void;
};
