import type { AnyConsentEventBody, ChainEvent } from '../contract/chain-event.ts';
import type { SubjectOpening } from '../contract/consent-event.ts';
import { KioskFailure } from '../contract/errors.ts';
import type { DataController, Flow, Profile } from '../contract/profile.ts';
import { dpv } from './dpv.ts';

/** A consent event of either schema version, as signed (with `sig`). */
export type SignedConsentEvent = Extract<ChainEvent, AnyConsentEventBody>;

/** One consent event as the export yields it: the signed event, its hash, and its opening where the export has it. */
export type ConsentRecordSource = { event: SignedConsentEvent; hash: string; subject?: SubjectOpening | null };

/**
 * This issue of a receipt: its own id and time, and the key that signs it — the device key (the kiosk's export) or
 * the central API's statement key (the console's download, from the events the API holds).
 */
export type ReceiptIssue = { receiptId: string; issuedAt: string; keyId: string; publicKey: string; signedBy: 'device' | 'consent_api' };

/** One item of personal data a consent concerns, with its DPV personal-data type. */
export type PersonalDataItem = { attribute: 'phone' | 'customerRef'; type: string; necessity: 'required' | 'optional' };

/** Everything both views say, worked out once: the event, whom it names, and the controller from the profile. */
export type ReceiptFacts = {
  event: SignedConsentEvent;
  hash: string;
  withdrawal: boolean;
  principalId: string;
  personalData: PersonalDataItem[];
  partyId: string;
  controller: DataController;
  purposeLabel: string;
  profile: { id: string; version: string };
  issue: ReceiptIssue;
};

function sameBusiness(flow: Flow, event: SignedConsentEvent): boolean {
  return event.v === 1
    ? flow.business.name === event.business.name && flow.business.whatsappNumber === event.business.whatsappNumber
    : flow.business.id === event.business.id;
}

/**
 * The flow whose data controller a receipt names: the event's own flow if the profile still has it for the same
 * business, else any flow of that business (flows get renamed; the controller is the business's). A version 1
 * event names its business by name and number only.
 */
function flowFor(profile: Profile, event: SignedConsentEvent): Flow {
  const flow =
    profile.flows.find((candidate) => candidate.id === event.flowId && sameBusiness(candidate, event)) ??
    profile.flows.find((candidate) => sameBusiness(candidate, event));
  if (!flow) {
    throw new KioskFailure(
      'not_found',
      `The profile ${profile.id} (version ${profile.version}) has no data controller for ${event.business.name} ` +
        `(event seq ${event.seq}); export receipts with the profile this kiosk collects consents under.`,
    );
  }
  return flow;
}

/**
 * The phone number always; a customer reference when the opening has one, or, when the opening is not at hand, as
 * optional for a number the host supplied (only a host hands over customer references).
 */
function personalDataOf(source: ConsentRecordSource): PersonalDataItem[] {
  const items: PersonalDataItem[] = [{ attribute: 'phone', type: dpv.telephoneNumber, necessity: 'required' }];
  const customerRef = source.subject ? source.subject.customerRef !== undefined : source.event.subject.source === 'host_verified';
  if (customerRef) items.push({ attribute: 'customerRef', type: dpv.identifier, necessity: 'optional' });
  return items;
}

export function receiptFacts(source: ConsentRecordSource, profile: Profile, issue: ReceiptIssue): ReceiptFacts {
  const { event } = source;
  const flow = flowFor(profile, event);
  const purpose = flow.purposes.find((candidate) => candidate.id === event.purpose.id);
  return {
    event,
    hash: source.hash,
    withdrawal: event.kind === 'opt_out',
    principalId: source.subject ? source.subject.phone : `commitment:${event.subject.commitment}`,
    personalData: personalDataOf(source),
    partyId: flow.business.id,
    controller: flow.dataController,
    purposeLabel: purpose?.label[event.notice.locale] ?? purpose?.label.en ?? event.purpose.id,
    profile: { id: profile.id, version: profile.version },
    issue,
  };
}
