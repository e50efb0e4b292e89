import { ConsentTerms, type Flow, type Profile } from '../../shared/contract/profile.ts';

export type FlowTerms = (flow: Flow) => ConsentTerms;

/**
 * Each flow's consent terms, parsed once per profile. The ledger remembers its sentence plans per terms object, so
 * terms made anew for every capture would render (ICU-parse and format) every sentence again, on the customer's
 * path from Confirm to "saved".
 */
export function flowTerms(profile: Profile): FlowTerms {
  const terms = new Map(profile.flows.map((flow) => [flow.id, ConsentTerms.parse(flow)]));
  return (flow) => terms.get(flow.id) ?? ConsentTerms.parse(flow);
}
