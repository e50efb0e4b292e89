import type { Profile } from '../contract/profile.ts';
import { iso27560View } from './iso27560-view.ts';
import { kantaraView } from './kantara-view.ts';
import { receiptFacts, type ConsentRecordSource, type ReceiptIssue } from './receipt-facts.ts';

/** What a receipt JWS carries (docs/receipts.md); `v` is the version of this envelope. */
export type ConsentReceipt = ReturnType<typeof toConsentReceipt>;

/**
 * One consent event as a standard consent receipt: the Kantara Consent Receipt 1.1 view, the ISO/IEC TS 27560
 * view (DPV vocabulary), and the signed event itself, so the consent can be verified, not only read. A pure
 * function of the event, the profile that names its data controller, and this issue of the receipt. `issuer` says
 * who signed: the device (its id) or the central API (verify its `kid` against GET /v1/keys).
 */
export function toConsentReceipt(source: ConsentRecordSource, profile: Profile, issue: ReceiptIssue) {
  const facts = receiptFacts(source, profile, issue);
  const { keyId, issuedAt } = issue;
  return {
    v: 1 as const,
    issuer: issue.signedBy === 'device' ? { deviceId: source.event.device.id, keyId, issuedAt } : { consentApi: true as const, keyId, issuedAt },
    kantara: kantaraView(facts),
    iso27560: iso27560View(facts),
    signedEvent: source.event,
  };
}
