import type { CustomerReceipt } from '../../shared/contract/host-api.ts';
import type { Locale } from '../../shared/contract/primitives.ts';
import type { Flow } from '../../shared/contract/profile.ts';
import { maskPhone } from '../../shared/phone.ts';

type Agreed = { purposeIds: readonly string[]; shownText: string };

/** The customer's receipt of an accepted offer, from what the ledger has just recorded (docs/host-integration.md). */
export function customerReceipt(flow: Flow, locale: Locale, agreed: readonly Agreed[], phone: string, recordedAt: string): CustomerReceipt {
  const purposes = agreed.flatMap((consent) => consent.purposeIds).map((purposeId) => {
    const purpose = flow.purposes.find((candidate) => candidate.id === purposeId);
    return { purposeId, label: purpose?.label[locale] ?? purposeId };
  });
  return {
    business: flow.business.name,
    purposes,
    maskedNumber: maskPhone(phone),
    recordedAt,
    sentences: agreed.map((consent) => consent.shownText),
  };
}
