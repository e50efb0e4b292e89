import type { PurposeCategory } from '../contract/primitives.ts';

/**
 * The W3C Data Privacy Vocabulary terms receipts use, as DPV 2.3 publishes them (the namespaces carry no version;
 * test/fixtures/dpv lists every published term, and a test checks each IRI a receipt carries against it).
 */
const DPV = 'https://w3id.org/dpv#';
const PD = 'https://w3id.org/dpv/pd#';
const LOC = 'https://w3id.org/dpv/loc#';

/**
 * A utility message (balance alert, gate change) provides the service the person uses, by a communication:
 * DPV's scope note for CommunicationManagement asks for it to be combined with the purpose it serves. Marketing
 * sent to the person is DirectMarketing.
 */
export const dpvPurposes: Record<PurposeCategory, readonly string[]> = {
  utility: [`${DPV}ServiceProvision`, `${DPV}CommunicationManagement`],
  marketing: [`${DPV}DirectMarketing`],
};

export const dpv = {
  consent: `${DPV}Consent`,
  consentNotice: `${DPV}ConsentNotice`,
  explicitlyExpressedConsent: `${DPV}ExplicitlyExpressedConsent`,
  consentGiven: `${DPV}ConsentGiven`,
  consentWithdrawn: `${DPV}ConsentWithdrawn`,
  withdrawConsent: `${DPV}WithdrawConsent`,
  untilEventDuration: `${DPV}UntilEventDuration`,
  storageLocation: `${DPV}StorageLocation`,
  storageDuration: `${DPV}StorageDuration`,
  withinDevice: `${DPV}WithinDevice`,
  dataSubjectDataSource: `${DPV}DataSubjectDataSource`,
  organisation: `${DPV}Organisation`,
  recipient: `${DPV}Recipient`,
  dataController: `${DPV}DataController`,
  dataProcessor: `${DPV}DataProcessor`,
  thirdParty: `${DPV}ThirdParty`,
  telephoneNumber: `${PD}TelephoneNumber`,
  identifier: `${PD}Identifier`,
} as const;

/** A country (ISO 3166-1 alpha-2) in DPV's Locations extension. */
export const dpvCountry = (code: string): string => `${LOC}${code}`;
