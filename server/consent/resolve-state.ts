import type { ConsentKind, PurposeCategory } from '../../shared/contract/primitives.ts';
import type { ConsentCheckResponse, ConsentDecision, PurposeState } from '../../shared/contract/sync.ts';

export interface KioskDecision {
  eventId: string;
  kind: ConsentKind;
  purposeId: string;
  category: PurposeCategory;
  /** capturedAt corrected by the device's clock offset recorded with the event. */
  atMs: number;
}

/** A WhatsApp `user_preferences` change (or a 131050 send failure, recorded as a stop) for every marketing purpose. */
export interface MarketingPreference {
  value: 'stop' | 'resume';
  atMs: number;
}

/** Later wins; at the same instant the opt-out wins, so doubt never turns into permission. */
function later<T extends { atMs: number }>(a: T, b: T, isOptOut: (x: T) => boolean): T {
  if (a.atMs !== b.atMs) return a.atMs > b.atMs ? a : b;
  return isOptOut(b) && !isOptOut(a) ? b : a;
}

const latestOf = <T extends { atMs: number }>(items: readonly T[], isOptOut: (x: T) => boolean): T | undefined =>
  items.reduce<T | undefined>((best, item) => (best === undefined ? item : later(best, item, isOptOut)), undefined);

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A subject's state per purpose. The latest kiosk decision by effective time wins (an old offline opt-in that syncs
 * late cannot override a newer opt-out). For marketing purposes a later WhatsApp "stop" overrides it; a later
 * "resume" only restores an opt-in the person gave at a kiosk, it never grants one by itself.
 */
export function resolvePurposeStates(decisions: readonly KioskDecision[], preferences: readonly MarketingPreference[]): PurposeState[] {
  const preference = latestOf(preferences, (p) => p.value === 'stop');
  const byPurpose = new Map<string, KioskDecision[]>();
  for (const decision of decisions) byPurpose.set(decision.purposeId, [...(byPurpose.get(decision.purposeId) ?? []), decision]);
  return [...byPurpose.values()].map((ofPurpose) => {
    const kiosk = latestOf(ofPurpose, (d) => d.kind === 'opt_out')!;
    const fromKiosk: PurposeState = {
      purposeId: kiosk.purposeId,
      category: kiosk.category,
      state: kiosk.kind === 'opt_in' ? 'opted_in' : 'opted_out',
      effectiveAt: iso(kiosk.atMs),
      source: 'kiosk',
      eventId: kiosk.eventId,
    };
    const overridden =
      kiosk.category === 'marketing' &&
      preference !== undefined &&
      (preference.atMs > kiosk.atMs || (preference.atMs === kiosk.atMs && preference.value === 'stop'));
    if (!overridden) return fromKiosk;
    if (preference.value === 'resume' && kiosk.kind === 'opt_out') return fromKiosk;
    return { ...fromKiosk, state: preference.value === 'stop' ? 'opted_out' : 'opted_in', effectiveAt: iso(preference.atMs), source: 'whatsapp', eventId: null };
  });
}

export function checkPurpose(states: readonly PurposeState[], purposeId: string): ConsentCheckResponse {
  const state = states.find((s) => s.purposeId === purposeId);
  if (!state) return { allowed: false, state: 'unknown', effectiveAt: null };
  return { allowed: state.state === 'opted_in', state: state.state, effectiveAt: state.effectiveAt };
}

/** The decisions behind a state, oldest first, for the subject-state answer. */
export function decisionTrail(decisions: readonly KioskDecision[], preferences: readonly MarketingPreference[]): ConsentDecision[] {
  const trail = [
    ...decisions.map((d) => ({ atMs: d.atMs, decision: { source: 'kiosk', eventId: d.eventId, purposeId: d.purposeId, kind: d.kind } as const })),
    ...preferences.map((p) => ({
      atMs: p.atMs,
      decision: { source: 'whatsapp', eventId: null, purposeId: null, kind: p.value === 'stop' ? 'opt_out' : 'opt_in' } as const,
    })),
  ];
  return trail.sort((a, b) => a.atMs - b.atMs).map(({ atMs, decision }) => ({ ...decision, effectiveAt: iso(atMs) }));
}
