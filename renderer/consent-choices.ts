import type { CaptureRequest } from '../shared/contract/capture.ts';
import type { ConsentKind, Locale, PurposeCategory } from '../shared/contract/primitives.ts';
import type { ConsentTerms } from '../shared/contract/profile.ts';
import { shownSentence } from '../shared/wording.ts';

export type ConsentChoice = CaptureRequest['consents'][number];

/**
 * The consents a selection turns into: one sentence for the chosen service purposes and a separate one for
 * marketing, never bundled, each naming the number the messages go to as the screen shows it (`recipient`: masked
 * when the host verified it). The review screen displays exactly these texts and the capture request sends them.
 */
export function consentChoices(
  terms: ConsentTerms,
  kind: ConsentKind,
  selected: ReadonlySet<string>,
  locale: Locale,
  recipient: string,
): ConsentChoice[] {
  const categories: PurposeCategory[] = ['utility', 'marketing'];
  return categories
    .map((category) =>
      terms.purposes.filter((purpose) => purpose.category === category && selected.has(purpose.id)).map((p) => p.id),
    )
    .filter((purposeIds) => purposeIds.length > 0)
    .map((purposeIds) => ({ purposeIds, shownText: shownSentence(terms, kind, purposeIds, locale, recipient) }));
}


/** A choice's key: the same whatever the language, so an acceptance survives a language switch. */
export function choiceKey(choice: Pick<ConsentChoice, 'purposeIds'>): string {
  return choice.purposeIds.join(' ');
}
