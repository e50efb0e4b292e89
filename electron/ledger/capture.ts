import type Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { ConsentDraft, type CaptureResult } from '../../shared/contract/capture.ts';
import { ConsentEventBody } from '../../shared/contract/consent-event.ts';
import { KioskFailure, parseOrFail } from '../../shared/contract/errors.ts';
import type { PurposeDefinition, ConsentTerms, NoticeDefinition } from '../../shared/contract/profile.ts';
import { checkMobileNumber } from '../../shared/phone.ts';
import { renderConsentSentence } from '../../shared/wording.ts';
import type { LedgerClock } from './clock.ts';
import type { DeviceIdentity } from './device-identity.ts';
import { eventBytes, sha256Hex } from './event-signing.ts';
import type { FunnelCounters } from './funnel.ts';
import type { KeyVault } from './key-vault.ts';
import { commitmentOf, newOpening, sealOpening } from './personal-data.ts';
import { withStorageErrors } from './storage-errors.ts';

type PlannedEvent = {
  purpose: PurposeDefinition;
  notice: Pick<NoticeDefinition, 'id' | 'version' | 'locale'> & { text: string };
};

/** Everything a draft must pass before anything is written; throws the typed failure the person's screen shows. */
function planEvents(draft: ConsentDraft, terms: ConsentTerms): PlannedEvent[] {
  const planned: PlannedEvent[] = [];
  const seen = new Set<string>();
  for (const consent of draft.consents) {
    const sentence = renderConsentSentence(terms, draft.kind, consent.purposeIds, draft.locale);
    if (sentence.text !== consent.shownText) {
      throw new KioskFailure('notice_mismatch', 'The consent sentence shown differs from the current notice; nothing was recorded.');
    }
    for (const purpose of sentence.purposes) {
      if (seen.has(purpose.id)) throw new KioskFailure('invalid_request', `Purpose "${purpose.id}" appears in two consents.`);
      seen.add(purpose.id);
      planned.push({ purpose, notice: { ...sentence.notice, text: sentence.text } });
    }
  }
  return planned;
}

export type Capture = (draft: unknown, terms: ConsentTerms) => CaptureResult;

/**
 * Validate → sign → chain → one transaction. Returns only after the commit, so a returned result is on disk.
 * Seq and prev come from the chain_head row, not from the events table, so a truncated tail cannot be papered
 * over by the next capture: the gap stays visible to `verify`.
 */
export function prepareCapture(
  db: Database.Database,
  device: DeviceIdentity,
  vault: KeyVault,
  clock: LedgerClock,
  funnel: FunnelCounters,
): Capture {
  const selectHead = db.prepare('SELECT seq, hash FROM chain_head WHERE singleton = 1');
  const insertEvent = db.prepare('INSERT INTO events (seq, id, body, hash, sig) VALUES (?, ?, ?, ?, ?)');
  const insertOutbox = db.prepare("INSERT INTO outbox (seq, state, enqueued_at) VALUES (?, 'pending', ?)");
  const insertOpening = db.prepare('INSERT INTO subject_openings (seq, sealed) VALUES (?, ?)');
  const updateHead = db.prepare('UPDATE chain_head SET seq = ?, hash = ? WHERE singleton = 1');
  const dataKey = vault.dataKey();

  const append = db.transaction((draft: ConsentDraft, terms: ConsentTerms, planned: PlannedEvent[], phone: string) => {
    const opening = newOpening(phone, draft.subject.customerRef);
    const commitment = commitmentOf(opening);
    const now = clock.now();
    const capturedAt = now.toISOString();
    const knownGood = clock.knownGood();
    let head = selectHead.get() as { seq: number; hash: string };
    const events: CaptureResult['events'] = [];
    for (const { purpose, notice } of planned) {
      const body = parseOrFail(
        ConsentEventBody,
        {
          v: 1,
          id: uuidv7(),
          seq: head.seq + 1,
          prev: head.hash,
          device: { id: device.deviceId, keyId: device.keyId },
          kind: draft.kind,
          subject: { source: draft.subject.source, commitment },
          business: { name: terms.business.name, whatsappNumber: terms.business.whatsappNumber },
          purpose: { id: purpose.id, category: purpose.category },
          notice,
          channel: terms.channel,
          entryPoint: draft.entryPoint,
          flowId: draft.flowId,
          capturedAt,
          clock: { knownGood },
        },
        'consent event',
      );
      const bytes = eventBytes(body);
      const hash = sha256Hex(bytes);
      insertEvent.run(body.seq, body.id, bytes.toString('utf8'), hash, vault.sign(bytes).toString('base64url'));
      insertOutbox.run(body.seq, now.getTime());
      insertOpening.run(body.seq, sealOpening(dataKey, body.id, opening));
      funnel.increment(draft.flowId, purpose.id, draft.locale, 'accepted');
      events.push({ id: body.id, seq: body.seq, purposeId: purpose.id });
      head = { seq: body.seq, hash };
    }
    updateHead.run(head.seq, head.hash);
    return events;
  });

  return (input, terms) => {
    const draft = parseOrFail(ConsentDraft, input, 'consent draft');
    const phone = checkMobileNumber(draft.subject.phone, draft.subject.country ?? terms.defaultCountry);
    if (!phone.ok) {
      throw new KioskFailure('invalid_phone', 'That is not a mobile number that can receive WhatsApp messages.');
    }
    const planned = planEvents(draft, terms);
    const events = withStorageErrors(() => append.immediate(draft, terms, planned, phone.e164));
    return { events, committedAt: clock.now().toISOString() };
  };
}
