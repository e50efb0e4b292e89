import { randomUUID } from 'node:crypto';
import { isConsent, type ChainEvent } from '../../shared/contract/chain-event.ts';
import type { SubjectOpening } from '../../shared/contract/consent-event.ts';
import type { Profile } from '../../shared/contract/profile.ts';
import { iso27560View } from './receipts/iso27560-view.ts';
import { kantaraView } from './receipts/kantara-view.ts';
import { receiptFacts, type ConsentRecordSource, type ReceiptIssue } from './receipts/receipt-facts.ts';
import { receiptSigning, type ReceiptSigner } from './receipts/receipt-signing.ts';

/** What a receipt JWS carries (docs/receipts.md); `v` is the version of this envelope. */
export type ConsentReceipt = ReturnType<typeof toConsentReceipt>;

/**
 * One consent event as a standard consent receipt: the Kantara Consent Receipt 1.1 view, the ISO/IEC TS 27560
 * view (DPV vocabulary), and the signed event itself, so the consent can be verified, not only read. A pure
 * function of the event, the profile that names its data controller, and this issue of the receipt.
 */
export function toConsentReceipt(source: ConsentRecordSource, profile: Profile, issue: ReceiptIssue) {
  const facts = receiptFacts(source, profile, issue);
  return {
    v: 1 as const,
    issuer: { deviceId: source.event.device.id, keyId: issue.keyId, issuedAt: issue.issuedAt },
    kantara: kantaraView(facts),
    iso27560: iso27560View(facts),
    signedEvent: source.event,
  };
}

/** An export line for one receipt; only `jws` is signed, `consentReceiptID` is there to find the line. */
export type ReceiptRecord = { record: 'receipt'; consentReceiptID: string; jws: string };

type ExportedChainEvent = { record: 'event'; event: ChainEvent; hash: string; subject?: SubjectOpening | null };

const isEventRecord = (record: { record: string }): record is ExportedChainEvent => record.record === 'event';

/**
 * `kioskctl export --format receipts`: the export's records with every consent event replaced by its signed
 * receipt. Clock observations and key rotations are never consents and give no receipt; every other record (the
 * header, the head statement) passes through as it is.
 */
export async function* receiptRecords<R extends { record: string }>(
  records: Iterable<R>,
  options: { profile: Profile; signer: ReceiptSigner; issuedAt: Date },
): AsyncGenerator<R | ReceiptRecord> {
  const sign = receiptSigning(options.signer);
  const issuedAt = options.issuedAt.toISOString();
  const publicKey = options.signer.publicKey.toString('base64url');
  for (const record of records) {
    if (!isEventRecord(record)) {
      yield record;
      continue;
    }
    const { event } = record;
    if (!isConsent(event)) continue;
    const issue = { receiptId: randomUUID(), issuedAt, keyId: options.signer.keyId, publicKey };
    const receipt = toConsentReceipt({ event, hash: record.hash, subject: record.subject }, options.profile, issue);
    yield { record: 'receipt', consentReceiptID: event.id, jws: await sign(receipt) };
  }
}
