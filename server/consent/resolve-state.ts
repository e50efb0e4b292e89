import type { ConsentKind, PurposeCategory } from '../../shared/contract/primitives.ts';
import type { ConsentCheckResponse, ConsentDecision, PurposeState, TimeQuality } from '../../shared/contract/sync.ts';

/** When a decision took effect, and how far that is known. */
export interface DecisionTime {
  effectiveMs: number;
  /** The hard bounds the API knows: the decision cannot have been made before `earliestMs` or after `latestMs`. */
  earliestMs: number;
  latestMs: number;
  quality: TimeQuality;
  receivedMs: number;
}

/** A kiosk consent event for one purpose, with one business. */
export interface KioskDecision extends DecisionTime {
  eventId: string;
  kind: ConsentKind;
  purposeId: string;
  category: PurposeCategory;
}

/** A WhatsApp `user_preferences` change (or a 131050 send failure, recorded as a stop) for every marketing purpose. */
export interface MarketingPreference extends DecisionTime {
  value: 'stop' | 'resume';
}

/**
 * Where a decision stands in a conflict, failing safe: a bounded time counts as it is; an opt-in whose time is not
 * bounded counts as early as it could have been, an opt-out as late. Doubt never turns into permission.
 */
export function orderingKey(time: DecisionTime, optOut: boolean): number {
  if (time.quality === 'bounded') return time.effectiveMs;
  return optOut ? time.latestMs : time.earliestMs;
}

/** Whether a decision had certainly been made by `atMs`, failing safe the same way: an opt-in as late as it could have been. */
function madeBy(time: DecisionTime, optOut: boolean, atMs: number): boolean {
  if (time.quality === 'bounded') return time.effectiveMs <= atMs;
  return (optOut ? time.earliestMs : time.latestMs) <= atMs;
}

type Ordered<T> = { item: T; key: number; optOut: boolean; tieBreak: string };

/** The greater key wins; on equal keys the opt-out; after that the later received, then the id, so the answer never depends on row order. */
function wins<T>(a: Ordered<T>, b: Ordered<T>): boolean {
  if (a.key !== b.key) return a.key > b.key;
  if (a.optOut !== b.optOut) return a.optOut;
  return a.tieBreak > b.tieBreak;
}

function latestOf<T>(items: readonly Ordered<T>[]): Ordered<T> | undefined {
  let best: Ordered<T> | undefined;
  for (const item of items) if (!best || wins(item, best)) best = item;
  return best;
}

const kioskOrdered = (d: KioskDecision): Ordered<KioskDecision> => ({
  item: d,
  key: orderingKey(d, d.kind === 'opt_out'),
  optOut: d.kind === 'opt_out',
  tieBreak: `${String(d.receivedMs).padStart(16, '0')}:${d.eventId}`,
});
const preferenceOrdered = (p: MarketingPreference): Ordered<MarketingPreference> => ({
  item: p,
  key: orderingKey(p, p.value === 'stop'),
  optOut: p.value === 'stop',
  tieBreak: `${String(p.receivedMs).padStart(16, '0')}:${p.value}`,
});

const iso = (ms: number): string => new Date(ms).toISOString();

/** The kiosk decision that stands among `decisions` (one purpose's): the greatest ordering key, failing safe. */
export function winningDecision(decisions: readonly KioskDecision[]): KioskDecision | undefined {
  return latestOf(decisions.map(kioskOrdered))?.item;
}

/** The WhatsApp change that stands among `preferences` (one business's, for one number). */
export function winningPreference(preferences: readonly MarketingPreference[]): MarketingPreference | undefined {
  return latestOf(preferences.map(preferenceOrdered))?.item;
}

/**
 * A purpose's state from the kiosk decision that stands for it and the WhatsApp change that stands for the number
 * with the business. For a marketing purpose a "stop" that wins against the decision overrides it; a winning
 * "resume" only restores an opt-in the person gave at a kiosk, it never grants one by itself.
 */
export function purposeState(item: KioskDecision, preferenceItem: MarketingPreference | undefined): PurposeState {
  const fromKiosk: PurposeState = {
    purposeId: item.purposeId,
    category: item.category,
    state: item.kind === 'opt_in' ? 'opted_in' : 'opted_out',
    effectiveAt: iso(item.effectiveMs),
    timeQuality: item.quality,
    source: 'kiosk',
    eventId: item.eventId,
  };
  if (item.category !== 'marketing' || !preferenceItem) return fromKiosk;
  const preference = preferenceOrdered(preferenceItem);
  if (!wins(preference as Ordered<unknown>, kioskOrdered(item) as Ordered<unknown>)) return fromKiosk;
  if (preference.item.value === 'resume' && item.kind === 'opt_out') return fromKiosk;
  return {
    ...fromKiosk,
    state: preference.item.value === 'stop' ? 'opted_out' : 'opted_in',
    effectiveAt: iso(preference.item.effectiveMs),
    timeQuality: preference.item.quality,
    source: 'whatsapp',
    eventId: null,
  };
}

/**
 * A subject's state per purpose with one business. The winning kiosk decision by ordering key stands (an old
 * offline opt-in that syncs late, or one whose time is in doubt, cannot override a newer opt-out), as
 * `purposeState` combines it with the winning WhatsApp change.
 */
export function resolvePurposeStates(decisions: readonly KioskDecision[], preferences: readonly MarketingPreference[]): PurposeState[] {
  const preference = winningPreference(preferences);
  const byPurpose = new Map<string, KioskDecision[]>();
  for (const decision of decisions) {
    const list = byPurpose.get(decision.purposeId);
    if (list) list.push(decision);
    else byPurpose.set(decision.purposeId, [decision]);
  }
  return [...byPurpose.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, ofPurpose]) => purposeState(winningDecision(ofPurpose)!, preference));
}

/** What had been decided by `atMs`: `knownThen` only what the API had received by then, `trueThen` all it knows now. */
export function decisionsAsOf<D extends KioskDecision | MarketingPreference>(items: readonly D[], atMs: number, knownThen: boolean): D[] {
  return items.filter((d) => (!knownThen || d.receivedMs <= atMs) && madeBy(d, 'kind' in d ? d.kind === 'opt_out' : d.value === 'stop', atMs));
}

export type CheckAnswer = Omit<ConsentCheckResponse, 'businessId' | 'asOf'>;

export function checkPurpose(states: readonly PurposeState[], purposeId: string): CheckAnswer {
  const state = states.find((s) => s.purposeId === purposeId);
  if (!state) return { allowed: false, state: 'unknown', effectiveAt: null, timeQuality: null };
  return { allowed: state.state === 'opted_in', state: state.state, effectiveAt: state.effectiveAt, timeQuality: state.timeQuality };
}

/** The decisions behind a state in the order they count (ordering key, then the tie-breaks), for the subject-state answer. */
export function decisionTrail(decisions: readonly KioskDecision[], preferences: readonly MarketingPreference[]): ConsentDecision[] {
  const common = (time: DecisionTime) => ({ effectiveAt: iso(time.effectiveMs), timeQuality: time.quality, receivedAt: iso(time.receivedMs) });
  const trail = [
    ...decisions.map((d) => ({ ordered: kioskOrdered(d) as Ordered<unknown>, decision: { source: 'kiosk', eventId: d.eventId, purposeId: d.purposeId, kind: d.kind, ...common(d) } as const })),
    ...preferences.map((p) => ({
      ordered: preferenceOrdered(p) as Ordered<unknown>,
      decision: { source: 'whatsapp', eventId: null, purposeId: null, kind: p.value === 'stop' ? 'opt_out' : 'opt_in', ...common(p) } as const,
    })),
  ];
  return trail.sort((a, b) => (wins(a.ordered, b.ordered) ? 1 : wins(b.ordered, a.ordered) ? -1 : 0)).map(({ decision }) => decision);
}
