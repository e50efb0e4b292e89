import { dpvPurposes } from './dpv.ts';
import type { ReceiptFacts } from './receipt-facts.ts';

export const KANTARA_VERSION = 'KI-CR-v1.1.0';

/**
 * Kantara CR 1.1 has no record of a withdrawal; every receipt it describes is an authority to process. So an
 * opt-out says so where a machine reads it first: its consent type is not a consent type, and no Kantara consumer
 * can take it for permission. Its termination and its sentence say the same to a person.
 */
const WITHDRAWN = 'WITHDRAWN';

function collectionMethod({ event }: ReceiptFacts): string {
  const number = event.subject.source === 'host_verified' ? 'phone number supplied by the host transaction' : 'phone number typed by the person';
  return `touch screen of a self-service terminal (channel ${event.channel}) at ${event.entryPoint}; ${number}`;
}

/** The Kantara Consent Receipt 1.1 view of one consent event; docs/receipts.md maps every field. */
export function kantaraView(facts: ReceiptFacts) {
  const { event, controller, withdrawal } = facts;
  return {
    version: KANTARA_VERSION,
    jurisdiction: controller.jurisdictions.join(' '),
    consentTimestamp: Math.floor(Date.parse(event.capturedAt) / 1000),
    collectionMethod: collectionMethod(facts),
    consentReceiptID: event.id,
    publicKey: facts.issue.publicKey,
    language: event.notice.locale,
    piiPrincipalId: facts.principalId,
    piiControllers: [
      {
        piiController: controller.legalName,
        onBehalf: false,
        contact: controller.contact,
        address: controller.address,
        email: controller.email,
        phone: controller.phone,
        ...(controller.url ? { piiControllerUrl: controller.url } : {}),
      },
    ],
    policyUrl: controller.policyUrl,
    services: [
      {
        service: `WhatsApp messages from ${event.business.name} (${event.business.whatsappNumber})`,
        purposes: [
          {
            purpose: event.notice.text,
            purposeCategory: [...dpvPurposes[event.purpose.category]],
            consentType: withdrawal ? WITHDRAWN : 'EXPLICIT',
            piiCategory: facts.personalData.map((item) => item.type),
            primaryPurpose: event.purpose.category === 'utility',
            termination: withdrawal
              ? `Withdrawn by the PII principal at ${event.capturedAt} (device clock); this receipt records the withdrawal.`
              : 'Until the PII principal withdraws it, which they may do at any time.',
            thirdPartyDisclosure: true,
            thirdPartyName: controller.recipients.map((recipient) => recipient.name).join('; '),
          },
        ],
      },
    ],
    sensitive: false,
    spiCat: [],
  };
}
export type KantaraView = ReturnType<typeof kantaraView>;
