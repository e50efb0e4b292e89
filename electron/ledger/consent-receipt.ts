import { randomUUID } from 'node:crypto';
import { isConsent, type ChainEvent } from '../../shared/contract/chain-event.ts';
import type { SubjectOpening } from '../../shared/contract/consent-event.ts';
import type { Profile } from '../../shared/contract/profile.ts';
import { toConsentReceipt } from '../../shared/receipts/consent-receipt.ts';
import { receiptSigning, type ReceiptSigner } from '../../shared/receipts/receipt-signing.ts';

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
  const publicKey = Buffer.from(options.signer.publicKey).toString('base64url');
  for (const record of records) {
    if (!isEventRecord(record)) {
      yield record;
      continue;
    }
    const { event } = record;
    if (!isConsent(event)) continue;
    const issue = { receiptId: randomUUID(), issuedAt, keyId: options.signer.keyId, publicKey, signedBy: 'device' as const };
    const receipt = toConsentReceipt({ event, hash: record.hash, subject: record.subject }, options.profile, issue);
    yield { record: 'receipt', consentReceiptID: event.id, jws: await sign(receipt) };
  }
}
