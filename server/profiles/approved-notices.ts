import type { ConsentKind, PurposeCategory } from '../../shared/contract/primitives.ts';
import { ConsentTerms, type Profile } from '../../shared/contract/profile.ts';
import { renderConsentSentence } from '../../shared/wording.ts';
import { noticeTextHash } from '../ingest/verify-event.ts';

export type ApprovedNotice = { textHash: string; noticeId: string; noticeVersion: string; locale: string };

/** A category with more purposes than this approves only its sentences of up to this many (2^n grows fast). */
const MAX_PURPOSES_PER_SENTENCE = 10;

/** The non-empty subsets of `items` in their own order: a sentence names purposes in the profile's order. */
function subsets<T>(items: readonly T[]): T[][] {
  const bounded = items.slice(0, MAX_PURPOSES_PER_SENTENCE);
  const out: T[][] = [];
  for (let mask = 1; mask < 1 << bounded.length; mask++) out.push(bounded.filter((_, index) => (mask & (1 << index)) !== 0));
  return out;
}

/**
 * Every sentence a profile's notices can put on a kiosk's screen, each named by `noticeTextHash`: per flow, notice,
 * opt-in and opt-out, and each choice of purposes of one category (marketing is never bundled), rendered by the very
 * function the kiosk renders and signs them with (shared/wording.ts). The sentence holds the business's name and
 * number and the purposes' labels — nothing of the customer — so one profile approves a small, fixed set.
 */
export function approvedNotices(profile: Profile): ApprovedNotice[] {
  const approved = new Map<string, ApprovedNotice>();
  const kinds: ConsentKind[] = ['opt_in', 'opt_out'];
  const categories: PurposeCategory[] = ['utility', 'marketing'];
  for (const flow of profile.flows) {
    const terms = ConsentTerms.parse(flow);
    for (const notice of terms.notices) {
      for (const kind of kinds) {
        for (const category of categories) {
          const ids = terms.purposes.filter((purpose) => purpose.category === category).map((purpose) => purpose.id);
          for (const chosen of subsets(ids)) {
            const sentence = renderConsentSentence(terms, kind, chosen, notice.locale);
            const textHash = noticeTextHash(sentence.text);
            approved.set(textHash, { textHash, noticeId: sentence.notice.id, noticeVersion: sentence.notice.version, locale: sentence.notice.locale });
          }
        }
      }
    }
  }
  return [...approved.values()];
}
