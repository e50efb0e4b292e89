import type Database from 'better-sqlite3';
import type { z } from 'zod';
import { ConsentDraft, type CaptureResult } from '../../shared/contract/capture.ts';
import { ConsentEventBody } from '../../shared/contract/consent-event.ts';
import { KioskFailure, parseOrFail } from '../../shared/contract/errors.ts';
import type { ConsentTerms } from '../../shared/contract/profile.ts';
import { mobileNumber, type MobileNumber } from '../../shared/phone.ts';
import { recipientOnScreen, renderConsentSentence, sentenceShownTo } from '../../shared/wording.ts';
import type { ChainAppend } from './chain-append.ts';
import { eventId } from './event-id.ts';
import type { FunnelCounters } from './funnel.ts';
import type { KeyVault } from './key-vault.ts';
import { newOpening, sealOpening } from './personal-data.ts';
import { withStorageErrors } from './storage-errors.ts';

/**
 * The parts of an event that come from the profile, checked against the event schema once per plan. The rest
 * (ids, seq, prev, commitment, time) is generated here, and flowId/entryPoint were checked with the draft.
 */
const ProfileFields = ConsentEventBody.pick({ business: true, purpose: true, notice: true, channel: true });
type PlannedEvent = z.infer<typeof ProfileFields>;

type PlannedConsent = { recordedText: string; events: PlannedEvent[] };

/**
 * Everything a draft's consents must pass before anything is written, except the shown texts (they name the
 * customer's number, see `checkShownTexts`); throws the failure the screen shows.
 */
function planEvents(draft: ConsentDraft, terms: ConsentTerms): PlannedConsent[] {
  const planned: PlannedConsent[] = [];
  const seen = new Set<string>();
  for (const consent of draft.consents) {
    const sentence = renderConsentSentence(terms, draft.kind, consent.purposeIds, draft.locale);
    const events: PlannedEvent[] = [];
    for (const purpose of sentence.purposes) {
      if (seen.has(purpose.id)) throw new KioskFailure('invalid_request', `Purpose "${purpose.id}" appears in two consents.`);
      seen.add(purpose.id);
      const fields = {
        business: { id: terms.business.id, name: terms.business.name, whatsappNumber: terms.business.whatsappNumber },
        purpose: { id: purpose.id, category: purpose.category },
        notice: { ...sentence.notice, text: sentence.text },
        channel: terms.channel,
      };
      events.push(parseOrFail(ProfileFields, fields, 'consent event'));
    }
    planned.push({ recordedText: sentence.text, events });
  }
  return planned;
}

/**
 * What was on screen must be the notice with this customer's number in it, as `recipientOnScreen` shows it; the
 * event records the notice with the placeholder (shared/wording.ts), the same for every customer.
 */
function checkShownTexts(draft: ConsentDraft, planned: readonly PlannedConsent[], phone: MobileNumber): void {
  const recipient = recipientOnScreen(draft.subject.source, phone.e164, phone.international);
  planned.forEach((consent, index) => {
    if (sentenceShownTo(consent.recordedText, recipient) !== draft.consents[index]!.shownText) {
      throw new KioskFailure('notice_mismatch', 'The consent sentence shown differs from the current notice; nothing was recorded.');
    }
  });
}

/**
 * Rendering a sentence (ICU parse, list formatting) costs more than signing, and a kiosk shows the same few
 * sentences all day, so plans are remembered per terms object (profiles are immutable once loaded), keyed by what
 * the customer chose and not by the shown text, which names their number: the cache is bounded by the profile's
 * valid purpose combinations.
 */
const planCache = new WeakMap<ConsentTerms, Map<string, PlannedConsent[]>>();

function cachedPlan(draft: ConsentDraft, terms: ConsentTerms): PlannedConsent[] {
  let plans = planCache.get(terms);
  if (!plans) {
    plans = new Map();
    planCache.set(terms, plans);
  }
  const key = JSON.stringify([draft.kind, draft.locale, draft.consents.map((consent) => consent.purposeIds)]);
  let planned = plans.get(key);
  if (!planned) {
    planned = planEvents(draft, terms);
    plans.set(key, planned);
  }
  return planned;
}

export type Capture = (draft: unknown, terms: ConsentTerms) => CaptureResult;

const FOLD_EVERY = 1024;

/**
 * Validate → sign → chain → one transaction. Returns only after the commit, so a returned result is on disk. Every
 * event carries the wall clock, the monotonic clock and the boot id read once per capture, and whether the clock
 * is known to be good (clock-quality.ts).
 */
export function prepareCapture(db: Database.Database, vault: KeyVault, chain: ChainAppend, funnel: FunnelCounters): Capture {
  const dataKey = vault.dataKey();

  const append = db.transaction((draft: ConsentDraft, planned: PlannedEvent[], phone: string) => {
    const opening = newOpening(phone, draft.subject.customerRef);
    const { now, capturedAt, clock } = chain.stamp();
    let head = chain.head();
    const events: CaptureResult['events'] = [];
    for (const fields of planned) {
      const seq = head.seq + 1;
      const body: ConsentEventBody = {
        v: 2,
        type: 'consent',
        id: eventId(now, seq),
        seq,
        prev: head.hash,
        device: { id: chain.deviceId, keyId: vault.keyId },
        kind: draft.kind,
        subject: { source: draft.subject.source, commitment: opening.commitment },
        ...fields,
        entryPoint: draft.entryPoint,
        flowId: draft.flowId,
        capturedAt,
        clock,
      };
      const hash = chain.write(body, sealOpening(dataKey, body.id, opening.json));
      events.push({ id: body.id, seq, purposeId: body.purpose.id });
      head = { seq, hash };
    }
    chain.setHead(head);
    // Acceptances are counted from the events (no counter write per capture); folding them in bulk once per
    // FOLD_EVERY events bounds what a funnel report has to count from the bodies when nobody reported in between.
    if (Math.floor(head.seq / FOLD_EVERY) !== Math.floor((head.seq - events.length) / FOLD_EVERY)) funnel.fold();
    return events;
  });

  return (input, terms) => {
    const draft = parseOrFail(ConsentDraft, input, 'consent draft');
    const phone = mobileNumber(draft.subject.phone, draft.subject.country ?? terms.defaultCountry);
    if (phone === null) {
      throw new KioskFailure('invalid_phone', 'That is not a mobile number that can receive WhatsApp messages.');
    }
    const planned = cachedPlan(draft, terms);
    checkShownTexts(draft, planned, phone);
    const events = withStorageErrors(() => append.immediate(draft, planned.flatMap((consent) => consent.events), phone.e164));
    return { events, committedAt: chain.now().toISOString() };
  };
}
