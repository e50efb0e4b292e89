import { dpv, dpvCountry, dpvPurposes } from './dpv.ts';
import type { ReceiptFacts } from './receipt-facts.ts';
import { withdrawalMethods } from './withdrawal-methods.ts';

/** The version of this record structure (docs/receipts.md), what ISO/IEC TS 27560 calls the schema version. */
export const ISO27560_SCHEMA_VERSION = 'consent-kiosk-27560/2';

const recipientType = { processor: dpv.dataProcessor, third_party: dpv.thirdParty } as const;

function processing(facts: ReceiptFacts) {
  const { event, controller } = facts;
  return {
    purpose: { id: event.purpose.id, description: facts.purposeLabel, category: event.purpose.category },
    purposeTypes: [...dpvPurposes[event.purpose.category]],
    lawfulBasis: dpv.consent,
    piiInformation: facts.personalData.map((item) => ({ attribute: item.attribute, piiType: item.type, necessity: item.necessity })),
    piiControllers: [facts.partyId],
    collectionMethod: {
      type: dpv.dataSubjectDataSource,
      channel: event.channel,
      entryPoint: event.entryPoint,
      flowId: event.flowId,
      deviceId: event.device.id,
      subjectSource: event.subject.source,
    },
    storageLocations: [
      {
        type: dpv.storageLocation,
        locations: controller.storageLocations.map(dpvCountry),
        description: `The records of ${controller.legalName}.`,
      },
      {
        type: dpv.storageLocation,
        locations: [dpv.withinDevice],
        description: 'The terminal that collected the consent, encrypted, until it has been delivered and its retention period on the terminal ends.',
      },
    ],
    retentionPeriod: { type: dpv.storageDuration, duration: controller.retention, after: 'the end of the consent' },
    jurisdictions: controller.jurisdictions.map(dpvCountry),
    recipientThirdParties: controller.recipients.map((recipient) => ({ name: recipient.name, type: [dpv.recipient, recipientType[recipient.role]] })),
    withdrawalMethods: withdrawalMethods(facts).map((method) => ({ type: dpv.withdrawConsent, ...method })),
    service: `WhatsApp messages from ${event.business.name} (${event.business.whatsappNumber})`,
  };
}

function controllerParty({ controller, partyId }: ReceiptFacts) {
  return {
    partyId,
    partyName: controller.legalName,
    partyAddress: controller.address,
    partyContact: { name: controller.contact, email: controller.email, phone: controller.phone },
    partyEmail: controller.email,
    partyPhone: controller.phone,
    ...(controller.url ? { partyUrl: controller.url } : {}),
    // What the entity is, and its part in the data flow: it receives the number from the person.
    partyType: [dpv.organisation, dpv.recipient],
    partyRole: dpv.dataController,
  };
}

function consentEvent(facts: ReceiptFacts) {
  const { event, withdrawal } = facts;
  return {
    eventTime: event.capturedAt,
    validityDuration: {
      type: dpv.untilEventDuration,
      until: withdrawal ? 'the PII principal gives consent again' : 'the PII principal withdraws consent',
    },
    entityId: facts.principalId,
    // The kind of consent the event concerns, expressed by a tap on a screen about this consent alone; the state
    // says whether it was given or withdrawn.
    eventType: dpv.explicitlyExpressedConsent,
    eventState: withdrawal ? dpv.consentWithdrawn : dpv.consentGiven,
    clock: event.clock,
  };
}

/**
 * The ISO/IEC TS 27560 consent record of one consent event, with the receipt header around it, values from the
 * W3C DPV vocabulary. Every mandatory element the DPV guide to 27560 lists is present (docs/receipts.md).
 */
export function iso27560View(facts: ReceiptFacts) {
  const { event, issue } = facts;
  return {
    schemaVersion: ISO27560_SCHEMA_VERSION,
    receiptId: issue.receiptId,
    createdAt: issue.issuedAt,
    recordId: event.id,
    piiPrincipalId: facts.principalId,
    notice: {
      type: dpv.consentNotice,
      id: event.notice.id,
      version: event.notice.version,
      language: event.notice.locale,
      text: event.notice.text,
    },
    language: event.notice.locale,
    processing: [processing(facts)],
    parties: [controllerParty(facts)],
    events: [consentEvent(facts)],
    source: { eventSchemaVersion: event.v, profile: facts.profile },
    proof: { keyId: event.device.keyId, seq: event.seq, prev: event.prev, hash: facts.hash, signature: event.sig },
  };
}
export type Iso27560View = ReturnType<typeof iso27560View>;
