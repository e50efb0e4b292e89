import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConsentReceipt } from '../../../../shared/receipts/consent-receipt.ts';
import { exportedReceipts } from './signed-export.ts';

type Iso = ConsentReceipt['iso27560'];
type Processing = Iso['processing'][number];
type Party = Iso['parties'][number];
type ConsentEvent = Iso['events'][number];

/**
 * The 25 mandatory elements of ISO/IEC TS 27560:2023 as the W3C DPV guide lists them ("Consent Records and
 * Receipts as per ISO/IEC TS 27560:2023 using DPV", table 7.2), each with where the receipt carries it.
 */
const MANDATORY: Array<[string, (iso: Iso) => unknown]> = [
  ['schema version', (iso) => iso.schemaVersion],
  ['record id', (iso) => iso.recordId],
  ['receipt id', (iso) => iso.receiptId],
  ['pii principal id', (iso) => iso.piiPrincipalId],
  ['privacy notice', (iso) => iso.notice.text],
  ['language', (iso) => iso.language],
  ['purpose', (iso) => each(iso.processing, (p) => p.purpose.id)],
  ['pii information', (iso) => each(iso.processing, (p) => p.piiInformation)],
  ['pii controllers', (iso) => each(iso.processing, (p) => p.piiControllers)],
  ['storage locations', (iso) => each(iso.processing, (p) => p.storageLocations.flatMap((s) => s.locations))],
  ['retention period', (iso) => each(iso.processing, (p) => p.retentionPeriod.duration)],
  ['jurisdiction', (iso) => each(iso.processing, (p) => p.jurisdictions)],
  ['recipient third parties', (iso) => each(iso.processing, (p) => p.recipientThirdParties.map((r) => r.name))],
  ['withdrawal method', (iso) => each(iso.processing, (p) => p.withdrawalMethods.map((m) => m.description))],
  ['pii type', (iso) => each(iso.processing, (p: Processing) => p.piiInformation.map((item) => item.piiType))],
  ['party id', (iso) => each(iso.parties, (p: Party) => p.partyId)],
  ['party address', (iso) => each(iso.parties, (p) => p.partyAddress.streetAddress)],
  ['party name', (iso) => each(iso.parties, (p) => p.partyName)],
  ['party contact', (iso) => each(iso.parties, (p) => p.partyContact.email)],
  ['party type', (iso) => each(iso.parties, (p) => p.partyType)],
  ['event time', (iso) => each(iso.events, (e: ConsentEvent) => e.eventTime)],
  ['validity duration', (iso) => each(iso.events, (e) => e.validityDuration.until)],
  ['entity id', (iso) => each(iso.events, (e) => e.entityId)],
  ['event type', (iso) => each(iso.events, (e) => e.eventType)],
  ['event state', (iso) => each(iso.events, (e) => e.eventState)],
];

/** The element of every item of a section, or nothing if the section is empty or any item lacks it. */
function each<T>(items: T[], element: (item: T) => unknown): unknown {
  const values = items.map(element);
  return values.length > 0 && values.every(isFilled) ? values : undefined;
}

function isFilled(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim().length > 0;
  if (Array.isArray(value)) return value.length > 0 && value.every(isFilled);
  return true;
}

const DPV = 'https://w3id.org/dpv#';

describe('ISO/IEC TS 27560 view', () => {
  it('lists the 25 mandatory elements of the DPV guide to ISO/IEC TS 27560', () => {
    expect(MANDATORY).toHaveLength(25);
    expect(new Set(MANDATORY.map(([name]) => name)).size).toBe(25);
  });

  it.each([
    ['with personal data', { personalData: true, erased: [2, 8] }],
    ['without personal data', { personalData: false }],
  ])('carries every mandatory element, present and non-empty, in every receipt %s', async (_name, options) => {
    const { receipts } = await exportedReceipts(options);
    for (const { iso27560, signedEvent } of receipts) {
      const missing = MANDATORY.filter(([, element]) => !isFilled(element(iso27560))).map(([name]) => name);
      expect(missing, `receipt for seq ${signedEvent.seq}`).toEqual([]);
    }
  });

  it('keeps the event type (how consent was expressed) apart from its state (given or withdrawn)', async () => {
    const { receipts } = await exportedReceipts({ personalData: false });
    for (const { iso27560, signedEvent } of receipts) {
      const [event] = iso27560.events;
      expect(event!.eventType).toBe(`${DPV}ExplicitlyExpressedConsent`);
      expect(event!.eventState).toBe(signedEvent.kind === 'opt_in' ? `${DPV}ConsentGiven` : `${DPV}ConsentWithdrawn`);
      expect(event!.eventTime).toBe(signedEvent.capturedAt);
    }
    const states = receipts.map(({ iso27560 }) => iso27560.events[0]!.eventState.replace(DPV, ''));
    expect(states).toEqual(['ConsentGiven', 'ConsentWithdrawn', 'ConsentGiven', 'ConsentGiven', 'ConsentWithdrawn', 'ConsentGiven', 'ConsentGiven']);
  });

  it('names the person by phone only in an export with personal data, else by the commitment', async () => {
    const withData = await exportedReceipts({ personalData: true, erased: [2] });
    expect(withData.receipts.map((receipt) => receipt.iso27560.piiPrincipalId.slice(0, 11))).toEqual([
      '+8190123456',
      'commitment:',
      '+8190123456',
      '+8190123456',
      '+8190123456',
      '+8180111122',
      '+8180111122',
    ]);
    const withoutData = await exportedReceipts({ personalData: false });
    for (const { iso27560, kantara, signedEvent } of withoutData.receipts) {
      expect(iso27560.piiPrincipalId).toBe(`commitment:${signedEvent.subject.commitment}`);
      expect(iso27560.events[0]!.entityId).toBe(iso27560.piiPrincipalId);
      expect(kantara.piiPrincipalId).toBe(iso27560.piiPrincipalId);
    }
  });

  it('lists a customer reference only where the host may have given one', async () => {
    const attributes = (receipts: ConsentReceipt[]) =>
      receipts.map(({ iso27560 }) => iso27560.processing[0]!.piiInformation.map((item) => item.attribute).join('+'));
    // The opening shows it: only the bank's payment notices consent carried a customer reference.
    expect(attributes((await exportedReceipts({ personalData: true })).receipts)).toEqual([
      'phone',
      'phone',
      'phone+customerRef',
      'phone',
      'phone',
      'phone',
      'phone',
    ]);
    // Without openings, a host-verified number may have come with one.
    expect(attributes((await exportedReceipts({ personalData: false })).receipts)).toEqual([
      'phone',
      'phone',
      'phone+customerRef',
      'phone+customerRef',
      'phone',
      'phone',
      'phone',
    ]);
  });

  it('uses only terms the W3C Data Privacy Vocabulary publishes', async () => {
    const published = new Set(fs.readFileSync(path.resolve('test/fixtures/dpv/dpv-2.3-terms.txt'), 'utf8').split('\n').filter(Boolean));
    const { receipts } = await exportedReceipts({ personalData: false });
    const used = new Set(JSON.stringify(receipts).match(/https:\/\/w3id\.org\/dpv[^"]*/g));
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((iri) => !published.has(iri))).toEqual([]);
  });
});
