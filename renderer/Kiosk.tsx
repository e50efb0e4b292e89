import { useEffect, useMemo, useRef, useState } from 'react';
import type { FlowSession } from '../shared/contract/kiosk-api.ts';
import type { Locale } from '../shared/contract/primitives.ts';
import type { Flow, Profile } from '../shared/contract/profile.ts';
import { useAudioGuidance } from './audio-guidance.ts';
import { DisplayToggles, plainDisplay, type DisplayPreferences } from './components/DisplayToggles.tsx';
import { IdleWarning } from './components/IdleWarning.tsx';
import { LanguageBar } from './components/LanguageBar.tsx';
import { SyncIndicator } from './components/SyncIndicator.tsx';
import { TextProvider } from './i18n/use-text.tsx';
import { idleTiming } from './idle-timing.ts';
import { callKiosk } from './kiosk-call.ts';
import { Attract } from './screens/Attract.tsx';
import { HostStep, type Transaction } from './screens/HostStep.tsx';
import { OptInStep } from './screens/OptInStep.tsx';
import { StopMessages } from './screens/StopMessages.tsx';
import { useIdle } from './use-idle.ts';

type Journey =
  | { kind: 'attract' }
  | { kind: 'flow'; flow: Flow; session: FlowSession; stepIndex: number; transaction: Transaction | null }
  | { kind: 'stop' };

/** The opt-in step on screen and not yet answered: what a timeout would be counted against. */
type OpenOffer = { flowId: string; purposeIds: string[] };

type Props = { profile: Profile; search: string };

/**
 * The kiosk: attract screen, the host flow with the opt-in step inserted, the opt-out entry, and around them the
 * language bar, display toggles, sync indicator and the idle reset that wipes everything a person typed.
 */
export function Kiosk({ profile, search }: Props) {
  const query = useMemo(() => new URLSearchParams(search), [search]);
  const timing = useMemo(() => idleTiming(profile.idle, search), [profile.idle, search]);
  const fixedFlow = profile.flows.find((flow) => flow.id === query.get('flow'));

  const [locale, setLocale] = useState<Locale>(profile.defaultLocale);
  const [display, setDisplay] = useState<DisplayPreferences>(plainDisplay);
  const [selectedFlowId, setSelectedFlowId] = useState(fixedFlow?.id ?? profile.flows[0]?.id);
  const [journey, setJourney] = useState<Journey>({ kind: 'attract' });
  const [session, setSession] = useState(0);
  const [startFailed, setStartFailed] = useState(false);
  const openOffer = useRef<OpenOffer | null>(null);

  const attractFlow = profile.flows.find((flow) => flow.id === selectedFlowId) ?? profile.flows[0];

  /** Reset, cancel and completion: back to the attract screen with every screen unmounted, so nothing typed remains. */
  const endSession = () => {
    openOffer.current = null;
    setJourney({ kind: 'attract' });
    setSession((current) => current + 1);
    setLocale(profile.defaultLocale);
    setDisplay(plainDisplay);
    setStartFailed(false);
  };

  const idle = useIdle(journey.kind !== 'attract', timing, () => {
    const offer = openOffer.current;
    if (offer) void callKiosk('reportFunnel', { ...offer, locale, outcome: 'timed_out' });
    endSession();
  });

  useEffect(() => {
    const root = document.documentElement;
    root.lang = locale;
    root.classList.toggle('high-contrast', display.contrast);
    root.classList.toggle('large-text', display.largeText);
  }, [locale, display]);

  const goToStep = (flow: Flow, session: FlowSession, stepIndex: number, transaction: Transaction | null) => {
    const step = flow.steps[stepIndex];
    if (!step) {
      endSession();
      return;
    }
    if (step.kind === 'opt_in') {
      openOffer.current = { flowId: flow.id, purposeIds: flow.purposes.map((purpose) => purpose.id) };
      void callKiosk('reportFunnel', { ...openOffer.current, locale, outcome: 'shown' });
    }
    setJourney({ kind: 'flow', flow, session, stepIndex, transaction });
  };

  const start = async () => {
    if (!attractFlow) return;
    const result = await callKiosk('startFlow', { flowId: attractFlow.id });
    if (!result.ok) {
      setStartFailed(true);
      return;
    }
    setStartFailed(false);
    goToStep(attractFlow, result.value, 0, null);
  };

  const screen = () => {
    if (journey.kind === 'stop') return <StopMessages flows={profile.flows} locale={locale} onExit={endSession} />;
    if (journey.kind === 'attract' || !attractFlow) {
      return (
        <Attract
          flows={profile.flows}
          flow={attractFlow ?? profile.flows[0]!}
          fixedFlow={fixedFlow !== undefined}
          locale={locale}
          startFailed={startFailed}
          onSelectFlow={setSelectedFlowId}
          onStart={() => void start()}
          onStop={() => setJourney({ kind: 'stop' })}
        />
      );
    }
    const { flow, session, stepIndex, transaction } = journey;
    const step = flow.steps[stepIndex];
    const next = (chosen = transaction) => goToStep(flow, session, stepIndex + 1, chosen);
    if (step?.kind === 'opt_in') {
      return (
        <OptInStep
          key={step.id}
          flow={flow}
          verified={session.verifiedSubject}
          locale={locale}
          onDecline={() => {
            const offer = openOffer.current;
            openOffer.current = null;
            if (offer) void callKiosk('reportFunnel', { ...offer, locale, outcome: 'declined' });
            next();
          }}
          onConfirm={() => {
            openOffer.current = null;
          }}
          onFinished={() => next()}
        />
      );
    }
    return (
      <HostStep
        key={step?.id}
        flow={flow}
        screen={step?.screen ?? ''}
        transaction={transaction}
        onChooseTransaction={(chosen) => next(chosen)}
        onNext={() => next()}
        onCancel={endSession}
      />
    );
  };

  const warning = idle.warningLeft !== null;
  useAudioGuidance(display.audio, locale);

  return (
    <TextProvider locale={locale}>
      <div className={`kiosk kiosk-${journey.kind}`} inert={warning} aria-hidden={warning || undefined}>
        <header className="topbar">
          <LanguageBar locales={profile.locales} current={locale} onChange={setLocale} />
          <DisplayToggles value={display} onChange={setDisplay} />
        </header>
        <main key={session}>{screen()}</main>
        <footer className="footer">
          <SyncIndicator />
        </footer>
      </div>
      {idle.warningLeft !== null && <IdleWarning secondsLeft={idle.warningLeft} onContinue={idle.keepAlive} />}
    </TextProvider>
  );
}
