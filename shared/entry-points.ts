import type { Flow } from './contract/profile.ts';

/**
 * Where a person asks to stop a business's messages, recorded as the opt-out's entry point (`atm.stop_messages`).
 * The renderer sends it and the host checks it, so both take it from here.
 */
export function stopEntryPoint(flow: Pick<Flow, 'channel'>): string {
  return `${flow.channel}.stop_messages`;
}
