import { verify } from 'node:crypto';
import type { SubjectTimeline, TimelineEntry } from '../../shared/contract/console.ts';
import { isConsent } from '../../shared/contract/chain-event.ts';
import { canonicalEventBody } from '../../shared/event-bytes.ts';
import { resolvePurposeStates } from '../consent/resolve-state.ts';
import { publicKeyObject } from '../keys/ed25519.ts';
import type { AuditRecord, ChainEventRecord } from '../store/audit-export.ts';
import type { Store } from '../store/store.ts';

/** The signature checked again now, against the key the API holds for the device (valid for the event's seq at ingest). */
function signatureVerified({ event, device }: ChainEventRecord): boolean {
  try {
    return verify(null, Buffer.from(canonicalEventBody(event)), publicKeyObject(device.publicKey), Buffer.from(event.sig, 'base64url'));
  } catch {
    return false;
  }
}

function entryOf(record: AuditRecord, flagged: ReadonlySet<string>): TimelineEntry | null {
  if (record.record === 'pending_whatsapp_change') return null;
  if (record.record === 'whatsapp_change') {
    return {
      type: 'whatsapp',
      value: record.value,
      source: record.source,
      effectiveAt: record.effectiveAt,
      claimedAt: record.claimedAt,
      receivedAt: record.receivedAt,
      mappedAt: record.mappedAt,
      signatureVerified: record.delivery?.signatureVerified ?? false,
      rawPayload: record.delivery?.payload ?? null,
    };
  }
  const { event } = record;
  if (!isConsent(event)) return null;
  return {
    type: 'consent',
    eventId: event.id,
    kind: event.kind,
    sentence: event.notice.text,
    notice: { id: event.notice.id, version: event.notice.version, locale: event.notice.locale },
    purpose: event.purpose,
    flowId: event.flowId,
    entryPoint: event.entryPoint,
    device: { id: record.device.id, keyId: record.device.keyId, label: record.device.label, siteId: record.device.placement?.siteId ?? null },
    capturedAt: event.capturedAt,
    receivedAt: record.receivedAt,
    effectiveAt: record.time.effectiveAt,
    quality: record.time.quality,
    earliest: record.time.earliest,
    latest: record.time.latest,
    clockKnownGood: !record.time.clockNotKnownGood,
    signatureVerified: signatureVerified(record),
    unapprovedNotice: flagged.has(event.id),
  };
}

const timeOf = (entry: TimelineEntry): string => entry.effectiveAt;

/** Every audit record held for the number with the business (the signed events with their openings, the WhatsApp deliveries as received). */
export async function subjectRecords(store: Store, businessId: string, phone: string): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for await (const page of store.audit.records({ businessId, phone })) records.push(...page);
  return records;
}

/**
 * A number's timeline with one business, oldest first by effective time: every consent event and every WhatsApp
 * change, and the state per purpose they resolve to now.
 */
export async function subjectTimeline(store: Store, businessId: string, phone: string): Promise<SubjectTimeline> {
  const records = await subjectRecords(store, businessId, phone);
  const flagged = await store.profiles.flagged(records.flatMap((record) => (record.record === 'chain_event' ? [record.event.id] : [])));
  const entries = records.map((record) => entryOf(record, flagged)).filter((entry) => entry !== null);
  entries.sort((a, b) => timeOf(a).localeCompare(timeOf(b)));
  const [decisions, preferences] = await Promise.all([store.history.decisionsFor(businessId, phone), store.history.preferencesFor(businessId, phone)]);
  return { businessId, phone, entries, states: resolvePurposeStates(decisions, preferences) };
}
