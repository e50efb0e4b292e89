import { describe, expect, it } from 'vitest';
import {
  checkPurpose,
  decisionsAsOf,
  decisionTrail,
  orderingKey,
  resolvePurposeStates,
  type KioskDecision,
  type MarketingPreference,
} from '../../../server/consent/resolve-state.ts';
import type { TimeQuality } from '../../../shared/contract/sync.ts';

// The state resolution on its own, decision by decision, fed in every order: what the API answers must never
// depend on the order rows come back in. consent-state.test.ts and whatsapp-webhook.test.ts show the same promises
// through the HTTP API.

const T = Date.parse('2026-03-01T10:00:00.000Z');
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

let ids = 0;
/** A kiosk decision effective at `atMs`; bounded unless said otherwise, its hard bounds a minute either side. */
function kiosk(kind: KioskDecision['kind'], atMs: number, options: Partial<KioskDecision> = {}): KioskDecision {
  ids += 1;
  return {
    eventId: `0198f000-0000-7000-8000-${String(ids).padStart(12, '0')}`,
    kind,
    purposeId: 'offers',
    category: 'marketing',
    effectiveMs: atMs,
    earliestMs: atMs - MINUTE,
    latestMs: atMs + MINUTE,
    quality: 'bounded',
    receivedMs: atMs + 5 * MINUTE,
    ...options,
  };
}

/** A WhatsApp change at `atMs`, as the store hands it over: Meta's time, bounded. */
function whatsapp(value: MarketingPreference['value'], atMs: number, options: Partial<MarketingPreference> = {}): MarketingPreference {
  return { value, effectiveMs: atMs, earliestMs: atMs, latestMs: atMs, quality: 'bounded', receivedMs: atMs + 1_000, ...options };
}

/** Both orders of a pair, so a test cannot pass by the order it happened to feed in. */
const bothOrders = <T,>(a: T, b: T): T[][] => [
  [a, b],
  [b, a],
];

const stateOf = (decisions: KioskDecision[], preferences: MarketingPreference[] = [], purposeId = 'offers') =>
  resolvePurposeStates(decisions, preferences).find((state) => state.purposeId === purposeId);

describe('which kiosk decision stands', () => {
  it('lets the later decision stand, whichever order the rows come in', () => {
    const optIn = kiosk('opt_in', T);
    const optOut = kiosk('opt_out', T + 1);
    for (const order of bothOrders(optIn, optOut)) {
      expect(stateOf(order)).toEqual({
        purposeId: 'offers',
        category: 'marketing',
        state: 'opted_out',
        effectiveAt: iso(T + 1),
        timeQuality: 'bounded',
        source: 'kiosk',
        eventId: optOut.eventId,
      });
    }
    expect(stateOf([kiosk('opt_out', T), kiosk('opt_in', T + 1)])).toMatchObject({ state: 'opted_in', effectiveAt: iso(T + 1) });
  });

  it('lets the opt-out win an opt-in and an opt-out that take effect at the same instant, whichever was stored first', () => {
    for (const order of bothOrders(kiosk('opt_in', T, { receivedMs: T + 9 * MINUTE }), kiosk('opt_out', T, { receivedMs: T + MINUTE }))) {
      expect(stateOf(order)).toMatchObject({ state: 'opted_out' });
    }
  });

  it('breaks a tie of two decisions of one kind by the later receipt, then by the event id, never by row order', () => {
    const earlierReceived = kiosk('opt_in', T, { receivedMs: T + MINUTE, category: 'utility' });
    const laterReceived = kiosk('opt_in', T, { receivedMs: T + 2 * MINUTE, category: 'utility', eventId: '0198f000-0000-7000-8000-000000000000' });
    for (const order of bothOrders(earlierReceived, laterReceived)) expect(stateOf(order)?.eventId).toBe(laterReceived.eventId);
    const lowId = kiosk('opt_in', T, { receivedMs: T + MINUTE });
    const highId = kiosk('opt_in', T, { receivedMs: T + MINUTE });
    for (const order of bothOrders(lowId, highId)) expect(stateOf(order)?.eventId).toBe(highId.eventId);
  });

  it('compares receipts as numbers of any length, not as text', () => {
    // 9 999 ms and 10 000 ms after the epoch: as unpadded text "9999" would sort after "10000"
    const older = kiosk('opt_in', T, { receivedMs: 9_999 });
    const newer = kiosk('opt_in', T, { receivedMs: 10_000, eventId: '0198f000-0000-7000-8000-000000000000' });
    for (const order of bothOrders(older, newer)) expect(stateOf(order)?.eventId).toBe(newer.eventId);
  });

  it('counts an opt-in whose time is not bounded as early as it could have been, so a known-time opt-out beats it', () => {
    // the opt-in's own estimate is later than the opt-out, but its earliest bound is before it
    const doubtfulOptIn = kiosk('opt_in', T + 10 * MINUTE, { quality: 'unbounded', earliestMs: T - 30 * MINUTE, latestMs: T + 20 * MINUTE });
    const knownOptOut = kiosk('opt_out', T);
    for (const order of bothOrders(doubtfulOptIn, knownOptOut)) expect(stateOf(order)).toMatchObject({ state: 'opted_out', eventId: knownOptOut.eventId });
    const clamped = { ...doubtfulOptIn, quality: 'clamped' as TimeQuality };
    for (const order of bothOrders(clamped, knownOptOut)) expect(stateOf(order)).toMatchObject({ state: 'opted_out' });
  });

  it('counts an opt-out whose time is not bounded as late as it could have been, so it beats a known-time opt-in inside its bounds', () => {
    const doubtfulOptOut = kiosk('opt_out', T - 10 * MINUTE, { quality: 'unbounded', earliestMs: T - 30 * MINUTE, latestMs: T + 20 * MINUTE });
    const knownOptIn = kiosk('opt_in', T);
    for (const order of bothOrders(doubtfulOptOut, knownOptIn)) {
      expect(stateOf(order)).toMatchObject({ state: 'opted_out', eventId: doubtfulOptOut.eventId, effectiveAt: iso(T - 10 * MINUTE), timeQuality: 'unbounded' });
    }
    // once a known-time opt-in lies beyond the opt-out's latest bound, it is certainly later
    expect(stateOf([doubtfulOptOut, kiosk('opt_in', T + 21 * MINUTE)])).toMatchObject({ state: 'opted_in' });
  });

  it('places a decision by its effective time when bounded, by the bound that fails safe otherwise', () => {
    const time = { effectiveMs: 2, earliestMs: 1, latestMs: 3, receivedMs: 4 };
    expect(orderingKey({ ...time, quality: 'bounded' }, false)).toBe(2);
    expect(orderingKey({ ...time, quality: 'bounded' }, true)).toBe(2);
    expect(orderingKey({ ...time, quality: 'unbounded' }, false)).toBe(1);
    expect(orderingKey({ ...time, quality: 'unbounded' }, true)).toBe(3);
    expect(orderingKey({ ...time, quality: 'clamped' }, true)).toBe(3);
  });

  it('resolves each purpose on its own, in purpose order', () => {
    const states = resolvePurposeStates(
      [
        kiosk('opt_in', T, { purposeId: 'payment-notices', category: 'utility' }),
        kiosk('opt_out', T, { purposeId: 'offers' }),
        kiosk('opt_in', T, { purposeId: 'balance-alerts', category: 'utility' }),
        kiosk('opt_out', T + 1, { purposeId: 'payment-notices', category: 'utility' }),
      ],
      [],
    );
    expect(states.map((state) => [state.purposeId, state.category, state.state])).toEqual([
      ['balance-alerts', 'utility', 'opted_in'],
      ['offers', 'marketing', 'opted_out'],
      ['payment-notices', 'utility', 'opted_out'],
    ]);
  });
});

describe('WhatsApp changes against the kiosk decision', () => {
  it('stops marketing when WhatsApp reports a STOP after a kiosk opt-in, and says it came from WhatsApp', () => {
    const optIn = kiosk('opt_in', T);
    expect(stateOf([optIn], [whatsapp('stop', T + MINUTE)])).toEqual({
      purposeId: 'offers',
      category: 'marketing',
      state: 'opted_out',
      effectiveAt: iso(T + MINUTE),
      timeQuality: 'bounded',
      source: 'whatsapp',
      eventId: null,
    });
  });

  it('never lets a STOP touch a utility purpose', () => {
    expect(stateOf([kiosk('opt_in', T, { purposeId: 'balance-alerts', category: 'utility' })], [whatsapp('stop', T + MINUTE)], 'balance-alerts')).toMatchObject({
      state: 'opted_in',
      source: 'kiosk',
    });
  });

  it('keeps a kiosk opt-out when WhatsApp later reports a resume', () => {
    const optOut = kiosk('opt_out', T);
    expect(stateOf([optOut], [whatsapp('resume', T + MINUTE)])).toMatchObject({ state: 'opted_out', source: 'kiosk', eventId: optOut.eventId });
  });

  it('allows marketing again when the person opts in at a kiosk after a WhatsApp STOP', () => {
    const optIn = kiosk('opt_in', T + MINUTE);
    expect(stateOf([kiosk('opt_in', T - MINUTE), optIn], [whatsapp('stop', T)])).toMatchObject({ state: 'opted_in', source: 'kiosk', eventId: optIn.eventId });
  });

  it('keeps marketing stopped when an earlier-captured kiosk opt-in is weighed against a later STOP', () => {
    expect(stateOf([kiosk('opt_in', T - MINUTE)], [whatsapp('stop', T)])).toMatchObject({ state: 'opted_out', source: 'whatsapp' });
  });

  it('restores a kiosk opt-in with a resume after a STOP, but a resume alone grants nothing', () => {
    const optIn = kiosk('opt_in', T);
    for (const order of bothOrders(whatsapp('stop', T + MINUTE), whatsapp('resume', T + 2 * MINUTE))) {
      expect(stateOf([optIn], order)).toMatchObject({ state: 'opted_in', source: 'whatsapp', effectiveAt: iso(T + 2 * MINUTE) });
    }
    expect(resolvePurposeStates([], [whatsapp('resume', T)])).toEqual([]);
  });

  it('keeps marketing stopped when a STOP and a RESUME are stamped with the same second, in either order', () => {
    const optIn = kiosk('opt_in', T);
    const stop = whatsapp('stop', T + MINUTE, { receivedMs: T + MINUTE + 5 });
    const resume = whatsapp('resume', T + MINUTE, { receivedMs: T + MINUTE + 9 });
    for (const order of bothOrders(stop, resume)) expect(stateOf([optIn], order)).toMatchObject({ state: 'opted_out', source: 'whatsapp' });
  });

  it('says a STOP after a kiosk opt-out came from WhatsApp, from the time of the STOP', () => {
    expect(stateOf([kiosk('opt_out', T)], [whatsapp('stop', T + MINUTE)])).toMatchObject({ state: 'opted_out', source: 'whatsapp', effectiveAt: iso(T + MINUTE), eventId: null });
  });

  it('counts a WhatsApp change whose time is in doubt the way that fails safe: a STOP as late, a RESUME as early as it could be', () => {
    const doubt = { quality: 'unbounded' as TimeQuality, earliestMs: T - MINUTE, latestMs: T + MINUTE };
    const optInBetween = kiosk('opt_in', T + 30_000);
    expect(stateOf([optInBetween], [whatsapp('stop', T, doubt)])).toMatchObject({ state: 'opted_out', source: 'whatsapp' });
    expect(stateOf([kiosk('opt_in', T - 2 * MINUTE)], [whatsapp('stop', T - 30_000), whatsapp('resume', T, doubt)])).toMatchObject({ state: 'opted_out' });
  });

  it('compares the receipts of two WhatsApp changes as numbers of any length', () => {
    const older = whatsapp('stop', T - 30_000, { receivedMs: 9_999, quality: 'unbounded', earliestMs: T - MINUTE, latestMs: T });
    const newer = whatsapp('stop', T, { receivedMs: 10_000 });
    for (const order of bothOrders(older, newer)) expect(stateOf([kiosk('opt_in', T - 2 * MINUTE)], order)).toMatchObject({ effectiveAt: iso(T), timeQuality: 'bounded' });
  });

  it('lets a STOP stamped at the instant of a kiosk opt-in win it', () => {
    expect(stateOf([kiosk('opt_in', T)], [whatsapp('stop', T)])).toMatchObject({ state: 'opted_out', source: 'whatsapp' });
  });

  it('lets the later of two changes of one kind at one instant name the state, by receipt', () => {
    const first = whatsapp('stop', T + MINUTE, { receivedMs: T + 2 * MINUTE, effectiveMs: T + MINUTE });
    const second = whatsapp('stop', T + MINUTE, { receivedMs: T + 3 * MINUTE, quality: 'unbounded', latestMs: T + MINUTE });
    for (const order of bothOrders(first, second)) expect(stateOf([kiosk('opt_in', T)], order)).toMatchObject({ timeQuality: 'unbounded' });
  });
});

describe('what had been decided by a time', () => {
  it('counts a bounded decision from its effective time on, and an opt-in in doubt only once its latest bound has passed', () => {
    const bounded = kiosk('opt_in', T);
    expect(decisionsAsOf([bounded], T - 1, false)).toEqual([]);
    expect(decisionsAsOf([bounded], T, false)).toEqual([bounded]);
    const doubtfulOptIn = kiosk('opt_in', T, { quality: 'unbounded' });
    expect(decisionsAsOf([doubtfulOptIn], T + MINUTE - 1, false)).toEqual([]);
    expect(decisionsAsOf([doubtfulOptIn], T + MINUTE, false)).toEqual([doubtfulOptIn]);
  });

  it('counts an opt-out in doubt as made already from its earliest bound', () => {
    const doubtfulOptOut = kiosk('opt_out', T, { quality: 'clamped' });
    expect(decisionsAsOf([doubtfulOptOut], T - MINUTE - 1, false)).toEqual([]);
    expect(decisionsAsOf([doubtfulOptOut], T - MINUTE, false)).toEqual([doubtfulOptOut]);
    const doubtfulStop = whatsapp('stop', T, { quality: 'unbounded', earliestMs: T - MINUTE, latestMs: T + MINUTE });
    const doubtfulResume = whatsapp('resume', T, { quality: 'unbounded', earliestMs: T - MINUTE, latestMs: T + MINUTE });
    expect(decisionsAsOf([doubtfulStop, doubtfulResume], T - MINUTE, false)).toEqual([doubtfulStop]);
    expect(decisionsAsOf([doubtfulStop, doubtfulResume], T + MINUTE, false)).toEqual([doubtfulStop, doubtfulResume]);
  });

  it('knows then only what the API had received by then', () => {
    const decision = kiosk('opt_in', T, { receivedMs: T + MINUTE });
    expect(decisionsAsOf([decision], T, true)).toEqual([]);
    expect(decisionsAsOf([decision], T, false)).toEqual([decision]);
    expect(decisionsAsOf([decision], T + MINUTE, true)).toEqual([decision]);
  });
});

describe('the answer to a check', () => {
  it('allows only an opt-in, and answers unknown for a purpose nobody decided', () => {
    const states = resolvePurposeStates([kiosk('opt_in', T, { purposeId: 'alerts' }), kiosk('opt_out', T, { purposeId: 'offers' })], []);
    expect(checkPurpose(states, 'alerts')).toEqual({ allowed: true, state: 'opted_in', effectiveAt: iso(T), timeQuality: 'bounded' });
    expect(checkPurpose(states, 'offers')).toEqual({ allowed: false, state: 'opted_out', effectiveAt: iso(T), timeQuality: 'bounded' });
    expect(checkPurpose(states, 'flights')).toEqual({ allowed: false, state: 'unknown', effectiveAt: null, timeQuality: null });
  });
});

describe('the decisions behind a state', () => {
  it('lists every decision in the order it counts, the winner last, whatever order they came in', () => {
    const optIn = kiosk('opt_in', T, { purposeId: 'alerts', category: 'utility' });
    const optOut = kiosk('opt_out', T + 2 * MINUTE);
    const stop = whatsapp('stop', T + MINUTE);
    const resume = whatsapp('resume', T + 3 * MINUTE);
    const expected = [
      { source: 'kiosk', eventId: optIn.eventId, purposeId: 'alerts', kind: 'opt_in', effectiveAt: iso(T), timeQuality: 'bounded', receivedAt: iso(optIn.receivedMs) },
      { source: 'whatsapp', eventId: null, purposeId: null, kind: 'opt_out', effectiveAt: iso(T + MINUTE), timeQuality: 'bounded', receivedAt: iso(stop.receivedMs) },
      { source: 'kiosk', eventId: optOut.eventId, purposeId: 'offers', kind: 'opt_out', effectiveAt: iso(T + 2 * MINUTE), timeQuality: 'bounded', receivedAt: iso(optOut.receivedMs) },
      { source: 'whatsapp', eventId: null, purposeId: null, kind: 'opt_in', effectiveAt: iso(T + 3 * MINUTE), timeQuality: 'bounded', receivedAt: iso(resume.receivedMs) },
    ];
    expect(decisionTrail([optOut, optIn], [resume, stop])).toEqual(expected);
    expect(decisionTrail([optIn, optOut], [stop, resume])).toEqual(expected);
  });

  it('puts the opt-out after an opt-in at the same instant, where it counts', () => {
    const optIn = kiosk('opt_in', T);
    const optOut = kiosk('opt_out', T);
    for (const order of bothOrders(optIn, optOut)) expect(decisionTrail(order, []).map((d) => d.kind)).toEqual(['opt_in', 'opt_out']);
  });
});
