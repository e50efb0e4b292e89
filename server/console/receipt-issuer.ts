import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isConsent } from '../../shared/contract/chain-event.ts';
import { KioskFailure, parseOrFail } from '../../shared/contract/errors.ts';
import { Profile } from '../../shared/contract/profile.ts';
import { profileContent } from '../../shared/contract/signed-profile.ts';
import { canonicalEventBody } from '../../shared/event-bytes.ts';
import { toConsentReceipt } from '../../shared/receipts/consent-receipt.ts';
import { receiptSigning, type ReceiptSigner } from '../../shared/receipts/receipt-signing.ts';
import type { AuditRecord } from '../store/audit-export.ts';

function loadProfile(file: string): Profile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`the receipt profile ${file} cannot be read`);
  }
  return parseOrFail(Profile, profileContent(JSON.parse(text)), `receipt profile ${file}`);
}

/**
 * Consent receipts (docs/receipts.md) of the consent events the API holds, signed with the API's statement key: the
 * same Kantara and ISO/IEC TS 27560 views the kiosk's export makes, the data controller from the configured
 * profiles (read once, at start), the signed event inside, so each receipt proves the consent as well as its issue.
 */
export function createReceiptIssuer(profileFiles: readonly string[], signer: ReceiptSigner, now: () => Date) {
  const profiles = profileFiles.map(loadProfile);
  const sign = receiptSigning(signer);
  const publicKey = Buffer.from(signer.publicKey).toString('base64url');

  const profileFor = (businessId: string): Profile => {
    const profile = profiles.find((candidate) => candidate.flows.some((flow) => flow.business.id === businessId));
    if (!profile) {
      throw new KioskFailure('not_found', `No receipt profile names the data controller of ${businessId}: configure the kiosks' profile in receiptProfiles (docs/console.md).`);
    }
    return profile;
  };

  return {
    /** One `{record: 'receipt', consentReceiptID, jws}` per consent event among `records`. */
    async receipts(businessId: string, records: readonly AuditRecord[]): Promise<{ record: 'receipt'; consentReceiptID: string; jws: string }[]> {
      const profile = profileFor(businessId);
      const issuedAt = now().toISOString();
      const receipts = [];
      for (const record of records) {
        if (record.record !== 'chain_event' || !isConsent(record.event)) continue;
        const issue = { receiptId: randomUUID(), issuedAt, keyId: signer.keyId, publicKey, signedBy: 'consent_api' as const };
        const hash = createHash('sha256').update(canonicalEventBody(record.event)).digest('hex');
        const receipt = toConsentReceipt({ event: record.event, hash, subject: record.subject }, profile, issue);
        receipts.push({ record: 'receipt' as const, consentReceiptID: record.event.id, jws: await sign(receipt) });
      }
      return receipts;
    },
  };
}
