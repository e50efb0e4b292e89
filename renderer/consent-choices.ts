import type { CaptureRequest } from '../shared/contract/capture.ts';
import type { ConsentKind, Locale, PurposeCategory } from '../shared/contract/primitives.ts';
import type { ConsentTerms } from '../shared/contract/profile.ts';
import { renderConsentSentence } from '../shared/wording.ts';

export type ConsentChoice = CaptureRequest['consents'][number];

/**
 * The consents a selection turns into: one sentence for the chosen service purposes and a separate one for
 * marketing, never bundled. The review screen displays exactly these texts and the capture request sends them.
 */
export function consentChoices(
  terms: ConsentTerms,
  kind: ConsentKind,
  selected: ReadonlySet<string>,
  locale: Locale,
): ConsentChoice[] {
  const categories: PurposeCategory[] = ['utility', 'marketing'];
  return categories
    .map((category) =>
      terms.purposes.filter((purpose) => purpose.category === category && selected.has(purpose.id)).map((p) => p.id),
    )
    .filter((purposeIds) => purposeIds.length > 0)
    .map((purposeIds) => ({ purposeIds, shownText: renderConsentSentence(terms, kind, purposeIds, locale).text }));
}

