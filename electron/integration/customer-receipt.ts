import type { CustomerReceipt } from '../../shared/contract/host-api.ts';
import type { Locale } from '../../shared/contract/primitives.ts';
import type { ConsentTerms, Flow } from '../../shared/contract/profile.ts';
import { maskPhone } from '../../shared/phone.ts';
import { renderHowToStop, shownSentence } from '../../shared/wording.ts';

type Agreed = { purposeIds: readonly string[] };

/**
 * The customer's receipt of an accepted offer, from what the ledger has just recorded (docs/host-integration.md).
 * Its sentences name the number masked whatever the screen showed: a typed number stood on the customer's own
 * screen in full, but a printout may be read by others.
 */
export function customerReceipt(
  flow: Flow,
  terms: ConsentTerms,
  locale: Locale,
  agreed: readonly Agreed[],
  phone: string,
  recordedAt: string,
): CustomerReceipt {
  const purposes = agreed.flatMap((consent) => consent.purposeIds).map((purposeId) => {
    const purpose = flow.purposes.find((candidate) => candidate.id === purposeId);
    return { purposeId, label: purpose?.label[locale] ?? purposeId };
  });
  const masked = maskPhone(phone);
  return {
    business: flow.business.name,
    purposes,
    maskedNumber: masked,
    recordedAt,
    sentences: agreed.map((consent) => shownSentence(terms, 'opt_in', consent.purposeIds, locale, masked)),
    howToStop: renderHowToStop(terms, locale),
  };
}
