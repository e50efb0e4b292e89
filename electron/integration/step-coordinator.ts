import { randomBytes } from 'node:crypto';
import type { CaptureResult, ConsentDraft } from '../../shared/contract/capture.ts';
import { KioskFailure, toKioskError, type KioskErrorCode } from '../../shared/contract/errors.ts';
import type {
  AnyHostCommand,
  BeginSessionPayload,
  CompletionCode,
  DegradedReason,
  HostCommand,
  HostCommandName,
  OfferErrorCode,
  OfferOutcome,
  OfferRecord,
  StatusReport,
} from '../../shared/contract/host-api.ts';
import { HOST_API_VERSION } from '../../shared/contract/host-api.ts';
import type { StepCaptureRequest, StepReport, StepView } from '../../shared/contract/kiosk-api.ts';
import type { Locale } from '../../shared/contract/primitives.ts';
import { maskPhone, mobileE164 } from '../../shared/phone.ts';
import type { Flow, Profile } from '../../shared/contract/profile.ts';
import type { FlowTerms } from '../host/flow-terms.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { HostConnection } from './host-connection.ts';
import type { KioskHealth } from './kiosk-health.ts';
import { customerReceipt } from './customer-receipt.ts';
import { outcomeOfInterruptedOffer, readSessionRecord, writeSessionRecord, type SessionRecord } from './session-record.ts';

export type CoordinatorLedger = Pick<Ledger, 'capture' | 'recordFunnel' | 'status' | 'exportRecords'>;

export type StepCoordinatorOptions = {
  /** The profile on screen; it changes only while no session is open and no step is on screen (profile-switch.ts). */
  profile: () => Profile;
  /** Its revision, which the renderer's long poll follows. */
  profileRevision: () => number;
  terms: FlowTerms;
  ledger: CoordinatorLedger;
  health: KioskHealth;
  /** The durable session record (host-session.json): what a restarted kiosk tells the host. */
  recordFile: string;
  /** Called after each durable capture, so a sync worker can wake. */
  onCaptured?: () => void;
  /** The step's first screen must be reported shown within this long, or the offer fails `displayUnavailable`. */
  showWithinMs?: number;
  /** The screen counts as gone when the renderer has not asked for a step for this long. */
  displayGoneAfterMs?: number;
  now?: () => number;
  log?: (line: string) => void;
};

type Session = {
  id: string;
  connectionId: number;
  entryPoint: string | undefined;
  locale: Locale;
  verifiedPhone: string | null;
  customerReference: string | undefined;
};

type Offer = {
  requestId: number;
  connectionId: number;
  session: Session;
  flow: Flow;
  entryPoint: string;
  view: StepView;
  locale: Locale;
  shown: boolean;
  headSeq: number;
  openedAt: string;
  timers: NodeJS.Timeout[];
};

/** The step on screen: open while its offer runs, then kept (closed) until the renderer leaves its last screen. */
type Display = { view: StepView; open: boolean; offerRequestId: number; sessionId: string };

/** What the renderer's long poll answers: the step to show, and whether headphones are in the terminal's jack. */
export type StepAnswer = { step: StepView | null; headphones: boolean };

/** What the renderer shows besides the step: any of them changing answers its long poll. */
export type ShownState = { knownProfile?: number; headphones?: boolean };

type Waiter = { known: string | null; shown: ShownState; resolve(answer: StepAnswer): void; timer: NodeJS.Timeout };

/** The renderer's answer kept the step's last screen up ("saved", "not saved") until the customer taps Continue. */
type Ending = 'wipe' | 'keep';

const RECENT_SESSIONS = 32;
/** How long after an offer ends its record is written (two fsyncs the customer's "saved" need not wait for). */
const RECORD_DELAY_MS = 50;

const newId = (bytes: number) => randomBytes(bytes).toString('base64url');

function withoutReceipt({ receipt: _receipt, ...kept }: Extract<OfferOutcome, { outcome: 'accepted' }>): OfferOutcome {
  return kept;
}

function completionCodeFor(outcome: OfferOutcome): CompletionCode {
  switch (outcome.outcome) {
    case 'accepted':
    case 'declined':
      return 'success';
    case 'timed_out':
      return 'timeOut';
    case 'cancelled':
      return 'canceled';
    case 'failed':
      if (outcome.errorCode === 'invalidData' || outcome.errorCode === 'sequenceError' || outcome.errorCode === 'internalError') {
        return outcome.errorCode;
      }
      return 'commandErrorCode';
  }
}

const offerErrorFor: Partial<Record<KioskErrorCode, OfferErrorCode>> = {
  storage_full: 'ledgerFull',
  storage_unavailable: 'ledgerUnavailable',
  ledger_corrupt: 'ledgerCorrupt',
};

/** The offer error for each reason the kiosk is degraded. */
export const errorForReason: Record<DegradedReason, OfferErrorCode> = {
  ledgerFull: 'ledgerFull',
  ledgerUnavailable: 'ledgerUnavailable',
  noKey: 'noKey',
  noProfile: 'noProfile',
  displayUnavailable: 'displayUnavailable',
};

/** Refused before anything happened: the command completes with this code and description. */
export class CommandRefused extends Error {
  constructor(
    readonly completionCode: CompletionCode,
    message: string,
  ) {
    super(message);
    this.name = 'CommandRefused';
  }
}

/**
 * The one place where the host application's session, its offer and the renderer's step meet. The host API server
 * hands it commands; the renderer, through the kiosk handlers, asks it for the step to show and reports what the
 * customer did; it answers each offer exactly once. Everything here is synchronous between awaits, so a cancel can
 * never land inside a capture: a consent is either committed before the cancel, or refused after it.
 */
export function createStepCoordinator(options: StepCoordinatorOptions) {
  const { profile, profileRevision, ledger, health } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? console.error;
  const showWithinMs = options.showWithinMs ?? 10_000;
  const displayGoneAfterMs = options.displayGoneAfterMs ?? 30_000;

  let connection: HostConnection | null = null;
  let session: Session | null = null;
  let offer: Offer | null = null;
  let display: Display | null = null;
  const waiters = new Set<Waiter>();
  let lastPollAt = Number.NEGATIVE_INFINITY;
  const recent = new Map<string, OfferRecord | null>();
  let lastStatus = '';

  const remember = (sessionId: string, record: OfferRecord | null) => {
    recent.delete(sessionId);
    recent.set(sessionId, record);
    while (recent.size > RECENT_SESSIONS) recent.delete(recent.keys().next().value!);
  };

  // ----------------------------------------------------------------------------------------------- durable record

  const currentRecord = (): SessionRecord | null => {
    const sessionId = offer?.session.id ?? session?.id ?? [...recent.keys()].at(-1);
    if (!sessionId) return null;
    return {
      sessionId,
      openOffer: offer
        ? { requestId: offer.requestId, flowId: offer.flow.id, headSeq: offer.headSeq, openedAt: offer.openedAt }
        : null,
      lastOffer: recent.get(sessionId) ?? null,
    };
  };
  let persistTimer: NodeJS.Timeout | null = null;
  const persistNow = () => {
    if (persistTimer) clearTimeout(persistTimer);
    persistTimer = null;
    const record = currentRecord();
    if (record) writeSessionRecord(options.recordFile, record);
  };
  /**
   * Off the customer's path: the record of how an offer ended is written a moment after the completion went out.
   * A crash before that is recovered from the ledger (session-record.ts), which alone decides an `accepted`.
   */
  const persistQuietly = () => {
    try {
      persistNow();
    } catch (error) {
      log(`host api: the session record could not be written (${toKioskError(error).code})`);
    }
  };
  const persistSoon = () => {
    persistTimer ??= setTimeout(persistQuietly, RECORD_DELAY_MS).unref();
  };

  const recovered = readSessionRecord(options.recordFile);
  if (recovered) {
    const lastOffer = recovered.openOffer
      ? { requestId: recovered.openOffer.requestId, result: outcomeOfInterruptedOffer({ ...recovered, openOffer: recovered.openOffer }, ledger) }
      : recovered.lastOffer;
    remember(recovered.sessionId, lastOffer);
    if (recovered.openOffer) {
      log(`host api: the kiosk stopped during an offer; it ended ${lastOffer?.result.outcome}`);
      persistSoon();
    }
  }

  // ------------------------------------------------------------------------------------------------------ status

  const displayAlive = () => waiters.size > 0 || now() - lastPollAt < displayGoneAfterMs;

  const degradedReasons = (): DegradedReason[] => {
    const reasons = health.reasons();
    return displayAlive() ? reasons : [...reasons, 'displayUnavailable'];
  };

  const statusFor = (conn: HostConnection | null): StatusReport => {
    const reasons = degradedReasons();
    const own = session && conn && session.connectionId === conn.id ? session : null;
    return {
      apiVersion: HOST_API_VERSION,
      state: reasons.length > 0 ? 'degraded' : session || display ? 'busy' : 'ready',
      reasons,
      displayModel: profile().hostIntegration.displayModel,
      session: own ? { sessionId: own.id, offerOpen: offer !== null } : null,
      flows: profile().flows.map((flow) => ({
        flowId: flow.id,
        entryPoint: flow.entryPoint,
        takesVerifiedSubject: flow.verifiedSubject.kind === 'integration',
        purposes: flow.purposes.map((purpose) => ({ purposeId: purpose.id, category: purpose.category })),
      })),
    };
  };

  /** Common.StatusChangedEvent whenever the answer to Common.Status would change. */
  const announceStatus = () => {
    const { state, reasons } = statusFor(connection);
    const key = `${state}:${reasons.join(',')}`;
    if (key === lastStatus) return;
    lastStatus = key;
    connection?.unsolicited('Common.StatusChangedEvent', { state, reasons });
  };

  // ----------------------------------------------------------------------------------------------------- display

  const visibleTo = (known: string | null): StepView | null =>
    display && (display.open || display.view.stepId === known) ? display.view : null;

  /** As the host application last reported its jack (OptIn.Headphones); a host that goes away takes it with it. */
  let headphones = false;

  const answerFor = (known: string | null): StepAnswer => ({ step: visibleTo(known), headphones });
  const differs = (answer: StepAnswer, known: string | null, shown: ShownState) =>
    (answer.step?.stepId ?? null) !== known ||
    (shown.headphones !== undefined && shown.headphones !== answer.headphones) ||
    (shown.knownProfile !== undefined && shown.knownProfile !== profileRevision());

  const wakeWaiters = () => {
    for (const waiter of waiters) {
      const answer = answerFor(waiter.known);
      if (!differs(answer, waiter.known, waiter.shown)) continue;
      clearTimeout(waiter.timer);
      waiters.delete(waiter);
      lastPollAt = now();
      waiter.resolve(answer);
    }
  };

  const setHeadphones = (present: boolean) => {
    if (headphones === present) return;
    headphones = present;
    wakeWaiters();
  };

  /** Who moves the kiosk's window when a step comes on screen and leaves it (the Electron shell). */
  const displayListeners = new Set<(showing: boolean) => void>();
  const displayChanged = (showing: boolean) => {
    for (const listener of displayListeners) listener(showing);
  };

  const closeDisplay = () => {
    if (!display) return;
    display = null;
    wakeWaiters();
    displayChanged(false);
  };

  // ------------------------------------------------------------------------------------------------------ offers

  const finishOffer = (outcome: OfferOutcome, ending: Ending, description?: string) => {
    const finished = offer;
    if (!finished) return;
    offer = null;
    for (const timer of finished.timers) clearTimeout(timer);
    // The record read back (OptIn.QuerySession, and on disk across a restart) holds no personal data: no receipt.
    remember(finished.session.id, { requestId: finished.requestId, result: outcome.outcome === 'accepted' ? withoutReceipt(outcome) : outcome });
    if (display?.offerRequestId === finished.requestId) {
      if (ending === 'wipe') closeDisplay();
      else display = { ...display, open: false };
    }
    if (connection?.id === finished.connectionId) {
      connection.complete('OptIn.Offer', finished.requestId, completionCodeFor(outcome), outcome, description);
    }
    persistSoon();
    announceStatus();
  };

  const failOffer = (errorCode: OfferErrorCode, errorDescription: string, ending: Ending = 'wipe') => {
    if (!offer) return;
    finishOffer({ outcome: 'failed', sessionId: offer.session.id, flowId: offer.flow.id, errorCode, errorDescription }, ending, errorDescription);
  };

  const cancelOffer = (by: 'host' | 'hostDisconnected' | 'sessionEnded') => {
    if (offer) finishOffer({ outcome: 'cancelled', sessionId: offer.session.id, flowId: offer.flow.id, by }, 'wipe');
  };

  const offerCommand = (conn: HostConnection, command: HostCommand<'OptIn.Offer'>) => {
    const { requestId, timeout } = command.header;
    const refuse = (errorCode: OfferErrorCode, errorDescription: string) => {
      const outcome: OfferOutcome = {
        outcome: 'failed',
        sessionId: session?.connectionId === conn.id ? session.id : null,
        flowId: command.payload.flowId,
        errorCode,
        errorDescription,
      };
      conn.complete('OptIn.Offer', requestId, completionCodeFor(outcome), outcome, errorDescription);
    };
    if (!session || session.connectionId !== conn.id) {
      return refuse('sequenceError', 'Begin a session (OptIn.BeginSession) before offering the opt-in.');
    }
    if (offer) return refuse('sequenceError', 'An offer is already running in this session; cancel it or wait for its completion.');
    const flow = profile().flows.find((candidate) => candidate.id === command.payload.flowId);
    if (!flow) return refuse('invalidData', `This kiosk has no flow "${command.payload.flowId}".`);
    const entryPoint = session.entryPoint ?? flow.entryPoint;
    if (entryPoint !== flow.entryPoint) {
      return refuse('invalidData', `Flow "${flow.id}" is offered at "${flow.entryPoint}", not at "${entryPoint}".`);
    }
    const purposeIds = command.payload.purposeIds ?? flow.purposes.map((purpose) => purpose.id);
    const unknown = purposeIds.find((id) => !flow.purposes.some((purpose) => purpose.id === id));
    if (unknown) return refuse('invalidData', `Flow "${flow.id}" has no purpose "${unknown}".`);
    if (new Set(purposeIds).size !== purposeIds.length) return refuse('invalidData', 'A purpose is listed twice.');
    const [reason] = degradedReasons();
    if (reason) return refuse(errorForReason[reason], `The kiosk cannot record a consent now (${reason}); nothing was shown.`);

    const verified = flow.verifiedSubject.kind === 'integration' && session.verifiedPhone !== null;
    const view: StepView = {
      stepId: newId(18),
      flowId: flow.id,
      purposeIds: flow.purposes.filter((purpose) => purposeIds.includes(purpose.id)).map((purpose) => purpose.id),
      locale: session.locale,
      verifiedSubject: verified ? { handle: newId(24), masked: maskPhone(session.verifiedPhone!) } : null,
    };
    let headSeq: number;
    try {
      headSeq = ledger.status().chainHead?.seq ?? 0;
      offer = {
        requestId,
        connectionId: conn.id,
        session,
        flow,
        entryPoint,
        view,
        locale: session.locale,
        shown: false,
        headSeq,
        openedAt: new Date(now()).toISOString(),
        timers: [],
      };
      // Written before the step shows, so a kiosk that stops now still answers this offer after its restart.
      persistNow();
    } catch (error) {
      offer = null;
      const code = toKioskError(error).code;
      health.noteCaptureFailed(code);
      return refuse(offerErrorFor[code] ?? 'internalError', 'The kiosk cannot write to its storage now; nothing was shown.');
    }
    const opened = offer;
    opened.timers.push(
      setTimeout(() => {
        if (offer === opened && !opened.shown) failOffer('displayUnavailable', 'The step could not be shown on the kiosk screen.');
      }, showWithinMs).unref(),
    );
    if (timeout) {
      opened.timers.push(
        setTimeout(() => {
          if (offer === opened) {
            finishOffer({ outcome: 'timed_out', sessionId: opened.session.id, flowId: flow.id, by: 'deadline' }, 'wipe');
          }
        }, timeout).unref(),
      );
    }
    display = { view, open: true, offerRequestId: requestId, sessionId: session.id };
    wakeWaiters();
    displayChanged(true);
    announceStatus();
  };

  // ---------------------------------------------------------------------------------------------------- sessions

  const endSession = (by: 'hostDisconnected' | 'sessionEnded') => {
    if (!session) return;
    const ended = session;
    cancelOffer(by);
    if (display?.sessionId === ended.id) closeDisplay();
    if (!recent.has(ended.id)) remember(ended.id, null);
    session = null;
    persistSoon();
  };

  const ownSession = (conn: HostConnection) => (session && session.connectionId === conn.id ? session : null);

  const beginSession = (conn: HostConnection, payload: BeginSessionPayload) => {
    if (session) throw new CommandRefused('sequenceError', 'A session is already open; end it first (OptIn.EndSession).');
    if (payload.locale && !profile().locales.includes(payload.locale)) {
      throw new CommandRefused('invalidData', `This kiosk does not offer the locale "${payload.locale}".`);
    }
    session = {
      id: newId(16),
      connectionId: conn.id,
      entryPoint: payload.entryPoint,
      locale: payload.locale ?? profile().defaultLocale,
      verifiedPhone: payload.verifiedSubject?.phone ?? null,
      customerReference: payload.customerReference,
    };
    remember(session.id, null);
    return { sessionId: session.id };
  };

  const cancel = (conn: HostConnection, requestIds: number[] | undefined) => {
    const own = ownSession(conn);
    if (offer && offer.connectionId === conn.id && (!requestIds || requestIds.includes(offer.requestId))) cancelOffer('host');
    // Card taken, passenger gone: whatever of this session is still on screen goes too.
    if (!requestIds && own && display?.sessionId === own.id) closeDisplay();
  };

  // ---------------------------------------------------------------------------------------------------- renderer

  const stepOf = (stepId: string) => (offer?.view.stepId === stepId ? offer : null);

  /** Funnel counters are for the operator; a ledger that cannot count must not hold up the host's answer. */
  const countFor = (open: Offer, purposeIds: string[], locale: Locale, outcome: 'shown' | 'declined' | 'timed_out') => {
    try {
      ledger.recordFunnel({ flowId: open.flow.id, purposeIds, locale, outcome });
    } catch (error) {
      log(`host api: the ${outcome} count was not recorded (${toKioskError(error).code})`);
    }
  };
  const count = (open: Offer, locale: Locale, outcome: 'shown' | 'declined' | 'timed_out') => countFor(open, open.view.purposeIds, locale, outcome);
  /** A sentence left unaccepted beside an accepted one: counted as declined for its purposes, nothing personal kept. */
  const countDeclined = (open: Offer, locale: Locale, purposeIds: string[]) => countFor(open, purposeIds, locale, 'declined');

  const report = (input: StepReport) => {
    lastPollAt = now();
    const open = stepOf(input.stepId);
    const send = connection?.id === open?.connectionId ? connection : null;
    switch (input.event) {
      case 'shown':
        if (!open || open.shown) return;
        open.shown = true;
        count(open, open.locale, 'shown');
        send?.event('OptIn.ShownEvent', open.requestId, { locale: open.locale, displayModel: profile().hostIntegration.displayModel });
        return;
      case 'language_changed':
        if (!open) return;
        open.locale = input.locale;
        send?.event('OptIn.LanguageChangedEvent', open.requestId, { locale: input.locale });
        return;
      case 'idle_warning':
        if (open) send?.event('OptIn.IdleWarningEvent', open.requestId, { secondsLeft: input.secondsLeft });
        return;
      case 'declined':
        if (!open) return;
        count(open, input.locale, 'declined');
        send?.event('OptIn.CustomerChoseEvent', open.requestId, { choice: 'decline', purposeIds: [] });
        finishOffer({ outcome: 'declined', sessionId: open.session.id, flowId: open.flow.id, locale: input.locale }, 'wipe');
        return;
      case 'timed_out':
        if (open) {
          count(open, input.locale, 'timed_out');
          finishOffer({ outcome: 'timed_out', sessionId: open.session.id, flowId: open.flow.id, by: 'customerIdle' }, 'wipe');
        } else if (display?.view.stepId === input.stepId) {
          closeDisplay();
        }
        return;
      case 'released':
        if (open || display?.view.stepId !== input.stepId) return;
        connection?.unsolicited('OptIn.DisplayReleasedEvent', { sessionId: display.sessionId, offerRequestId: display.offerRequestId });
        closeDisplay();
        announceStatus();
        return;
    }
  };

  const awaitStep = (known: string | null, waitMs: number, shown: ShownState = {}): Promise<StepAnswer> => {
    lastPollAt = now();
    const answer = answerFor(known);
    if (differs(answer, known, shown) || waitMs === 0) return Promise.resolve(answer);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        known,
        shown,
        resolve,
        timer: setTimeout(() => {
          waiters.delete(waiter);
          lastPollAt = now();
          resolve(answerFor(known));
        }, waitMs),
      };
      waiters.add(waiter);
    });
  };

  /** The renderer's capture for the offered step: checked against the offer, recorded, answered to the host. */
  const captureForStep = (request: StepCaptureRequest & { stepId: string }): CaptureResult => {
    const open = stepOf(request.stepId);
    if (!open) throw new KioskFailure('not_found', 'This step has ended, so nothing was recorded.');
    const send = connection?.id === open.connectionId ? connection : null;
    const refuse = (failure: KioskFailure): never => {
      failOffer('notRecorded', failure.message, 'keep');
      throw failure;
    };
    if (request.kind !== 'opt_in' || request.flowId !== open.flow.id || request.entryPoint !== open.entryPoint) {
      refuse(new KioskFailure('invalid_request', `The step offers an opt-in to flow "${open.flow.id}" at "${open.entryPoint}".`));
    }
    const chosen = request.consents.flatMap((consent) => consent.purposeIds);
    if (chosen.some((id) => !open.view.purposeIds.includes(id))) {
      refuse(new KioskFailure('unknown_purpose', 'A purpose that was not offered cannot be accepted.'));
    }
    const declinedIds = (request.declined ?? []).flatMap((sentence) => sentence.purposeIds);
    if (declinedIds.some((id) => !open.view.purposeIds.includes(id) || chosen.includes(id)) || new Set(declinedIds).size !== declinedIds.length) {
      refuse(new KioskFailure('invalid_request', 'A declined purpose must be offered, named once, and not also accepted.'));
    }
    const { subject, stepId: _stepId, declined: _declined, ...rest } = request;
    let draftSubject: ConsentDraft['subject'];
    if (subject.source === 'host_verified') {
      if (!open.view.verifiedSubject || subject.handle !== open.view.verifiedSubject.handle || !open.session.verifiedPhone) {
        refuse(new KioskFailure('not_found', 'The verified number for this transaction is no longer available. Please type your number instead.'));
      }
      draftSubject = { source: 'host_verified', phone: open.session.verifiedPhone! };
    } else {
      draftSubject = subject;
    }
    if (open.session.customerReference) draftSubject = { ...draftSubject, customerRef: open.session.customerReference };

    send?.event('OptIn.CustomerChoseEvent', open.requestId, { choice: 'accept', purposeIds: chosen });
    let result: CaptureResult;
    const terms = options.terms(open.flow);
    try {
      result = ledger.capture({ ...rest, subject: draftSubject }, terms);
    } catch (error) {
      const failure = toKioskError(error);
      health.noteCaptureFailed(failure.code);
      const errorCode = offerErrorFor[failure.code] ?? 'notRecorded';
      send?.event('OptIn.RecordFailedEvent', open.requestId, { errorCode, errorDescription: failure.message });
      failOffer(errorCode, failure.message, 'keep');
      throw error;
    }
    health.noteCaptureSucceeded();
    const categoryOf = (purposeId: string) => open.flow.purposes.find((purpose) => purpose.id === purposeId)!.category;
    const consents = result.events.map((event) => ({ purposeId: event.purposeId, category: categoryOf(event.purposeId), eventId: event.id, seq: event.seq }));
    if (declinedIds.length > 0) countDeclined(open, request.locale, declinedIds);
    send?.event('OptIn.RecordedEvent', open.requestId, { consents, committedAt: result.committedAt });
    finishOffer(
      {
        outcome: 'accepted',
        sessionId: open.session.id,
        flowId: open.flow.id,
        locale: request.locale,
        subjectSource: draftSubject.source,
        consents,
        ...(declinedIds.length > 0 && { declined: declinedIds.map((purposeId) => ({ purposeId, category: categoryOf(purposeId) })) }),
        committedAt: result.committedAt,
        // The ledger accepted the number, so it parses; the receipt masks its E.164 form, not the digits as typed.
        receipt: customerReceipt(open.flow, terms, request.locale, request.consents, mobileE164(draftSubject.phone, draftSubject.country ?? terms.defaultCountry) ?? draftSubject.phone, result.committedAt),
      },
      'keep',
    );
    options.onCaptured?.();
    return result;
  };

  // ------------------------------------------------------------------------------------------------ host commands

  const querySession = (sessionId: string) => {
    if (!recent.has(sessionId)) throw new CommandRefused('invalidData', `The kiosk has no record of session "${sessionId}".`);
    return { sessionId, active: session?.id === sessionId, lastOffer: recent.get(sessionId) ?? null };
  };

  /** Runs one parsed command; every path completes it exactly once (an offer later, the others at once). */
  const execute = (conn: HostConnection, command: AnyHostCommand) => {
    const { requestId } = command.header;
    try {
      if (isCommand(command, 'Common.Status')) conn.complete('Common.Status', requestId, 'success', statusFor(conn));
      else if (isCommand(command, 'Common.Cancel')) {
        cancel(conn, command.payload.requestIds);
        conn.complete('Common.Cancel', requestId, 'success', {});
      } else if (isCommand(command, 'OptIn.BeginSession')) {
        conn.complete('OptIn.BeginSession', requestId, 'success', beginSession(conn, command.payload));
      } else if (isCommand(command, 'OptIn.Offer')) offerCommand(conn, command);
      else if (isCommand(command, 'OptIn.EndSession')) {
        if (ownSession(conn)) endSession('sessionEnded');
        conn.complete('OptIn.EndSession', requestId, 'success', {});
      } else if (isCommand(command, 'OptIn.QuerySession')) {
        conn.complete('OptIn.QuerySession', requestId, 'success', querySession(command.payload.sessionId));
      } else if (isCommand(command, 'OptIn.Headphones')) {
        setHeadphones(command.payload.headphones === 'present');
        conn.complete('OptIn.Headphones', requestId, 'success', {});
      }
    } catch (error) {
      if (!(error instanceof CommandRefused)) log(`host api: ${command.header.name} failed unexpectedly (${error instanceof Error ? error.name : typeof error})`);
      const refused = error instanceof CommandRefused ? error : new CommandRefused('internalError', 'The kiosk could not run this command.');
      // Every completion but the offer's carries an empty payload when the command failed.
      conn.complete(command.header.name as Exclude<HostCommandName, 'OptIn.Offer'>, requestId, refused.completionCode, {}, refused.message);
    }
    announceStatus();
  };

  return {
    attach(conn: HostConnection) {
      connection = conn;
      lastStatus = '';
    },
    /** The host application is gone: its step ends safely, its session is forgotten, the outcome kept for it. */
    detach(conn: HostConnection) {
      if (connection?.id !== conn.id) return;
      connection = null;
      if (session?.connectionId === conn.id) endSession('hostDisconnected');
      // Nobody reports the jack any more: the kiosk does not guess that headphones are still in it.
      setHeadphones(false);
    },
    execute,
    awaitStep,
    report,
    captureForStep,
    status: () => statusFor(connection),
    /** A host session is open or a step is on screen: a customer is at the terminal. */
    customerStepOpen: () => session !== null || display !== null,
    /** A new profile came into force: the renderer's long poll answers, so it asks for the profile again. */
    profileChanged: wakeWaiters,
    onDisplay(listener: (showing: boolean) => void): () => void {
      displayListeners.add(listener);
      return () => displayListeners.delete(listener);
    },
    close() {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve({ step: null, headphones });
      }
      waiters.clear();
      for (const timer of offer?.timers ?? []) clearTimeout(timer);
      if (persistTimer) persistQuietly();
    },
  };
}

export type StepCoordinator = ReturnType<typeof createStepCoordinator>;

function isCommand<N extends HostCommandName>(command: AnyHostCommand, name: N): command is HostCommand<N> {
  return command.header.name === name;
}
