import { useEffect, useMemo, useRef, useState } from 'react';
import type { StepReport, StepView } from '../shared/contract/kiosk-api.ts';
import type { Locale } from '../shared/contract/primitives.ts';
import type { Flow, Profile } from '../shared/contract/profile.ts';
import { useAudioGuidance, type Announcement } from './audio-guidance.ts';
import { useBrand } from './brand.ts';
import { DisplayToggles, plainDisplay, type DisplayPreferences } from './components/DisplayToggles.tsx';
import { IdleWarning } from './components/IdleWarning.tsx';
import { LanguageBar } from './components/LanguageBar.tsx';
import { SyncIndicator } from './components/SyncIndicator.tsx';
import { TextProvider, useText } from './i18n/use-text.tsx';
import { idleTiming } from './idle-timing.ts';
import { callKiosk } from './kiosk-call.ts';
import { useLaterScreens } from './later-screens.ts';
import { Attract } from './screens/Attract.tsx';
import { showsServiceDetails } from './service-details.ts';
import { ServiceGesture } from './technician/ServiceGesture.tsx';
import { useIdle } from './use-idle.ts';
import { useKeypad } from './use-keypad.ts';
import { useOfferedStep } from './use-offered-step.ts';

/** The flow as the step offers it: only the purposes the terminal's application asked for. */
type OfferedStep = { view: StepView; flow: Flow };

type Journey = { kind: 'attract' } | { kind: 'step'; step: OfferedStep } | { kind: 'stop' } | { kind: 'technician' };

type Props = {
  profile: Profile;
  search: string;
  /** The host has a new profile in force: KioskLoader fetches it. */
  onProfileMoved: () => void;
  /** It is here; taken on (`adoptProfile`) as soon as the screen is back at the attract screen. */
  newProfile: boolean;
  adoptProfile: () => void;
};

/** Inside the TextProvider, so that controls and states are spoken in the screen's language. */
function PrivateListening({ enabled, locale, announcement }: { enabled: boolean; locale: Locale; announcement: Announcement | null }) {
  useAudioGuidance(enabled, locale, useText(), announcement);
  return null;
}

const report = (input: StepReport) => void callKiosk('reportStep', input);

/**
 * The kiosk: its own attract screen with the opt-out entry, and the opt-in step whenever the terminal's own
 * application offers it; around them the language bar, display toggles, sync indicator and the idle reset that
 * wipes everything a person typed. What the terminal's application does (a withdrawal, a check-in) is not here.
 */
export function Kiosk({ profile, search, onProfileMoved, newProfile, adoptProfile }: Props) {
  const timing = useMemo(() => idleTiming(profile.idle, search), [profile.idle, search]);
  const [locale, setLocale] = useState<Locale>(profile.defaultLocale);
  const [display, setDisplay] = useState<DisplayPreferences>(plainDisplay);
  const [journey, setJourney] = useState<Journey>({ kind: 'attract' });
  /** Private listening's screen blank (ADA §707.6): only while speech is on. */
  const [blank, setBlank] = useState(false);
  const [session, setSession] = useState(0);
  /** Whether the step on screen has been answered (confirmed or declined), so an idle reset is not a time-out. */
  const answered = useRef(false);
  /** Headphones in the terminal's jack, as its application reports them: speech stays on while they are. */
  const headphones = useRef(false);
  const [announcement, setAnnouncement] = useState<Announcement | null>(null);

  /** Reset, cancel and completion: back to the attract screen with every screen unmounted, so nothing typed remains. */
  const endSession = () => {
    setJourney({ kind: 'attract' });
    setSession((current) => current + 1);
    setLocale(profile.defaultLocale);
    setDisplay({ ...plainDisplay, audio: headphones.current });
    setBlank(false);
  };

  // Plugged in: speech on in the screen's language, first saying so and how to blank the screen. Pulled out: the
  // speech stops at once (a platform in automatic audio mode would send any more of it to the loudspeaker) and the
  // screen shows again, since a blank screen that no longer speaks serves no one (docs/ui.md).
  const onHeadphones = (present: boolean) => {
    headphones.current = present;
    setDisplay((current) => ({ ...current, audio: present }));
    if (present) setAnnouncement((current) => ({ id: (current?.id ?? 0) + 1, message: 'speech.headphonesIn' }));
    else setBlank(false);
  };

  const offered = useOfferedStep((view) => {
    if (!view) {
      endSession();
      return;
    }
    const flow = profile.flows.find((candidate) => candidate.id === view.flowId);
    if (!flow) return;
    answered.current = false;
    setJourney({ kind: 'step', step: { view, flow: { ...flow, purposes: flow.purposes.filter((purpose) => view.purposeIds.includes(purpose.id)) } } });
    setSession((current) => current + 1);
    setLocale(view.locale);
  }, onHeadphones, onProfileMoved);

  // Never in the middle of what a person is doing (the stop screen, technician mode): only at the attract screen.
  useEffect(() => {
    if (newProfile && journey.kind === 'attract') adoptProfile();
  }, [newProfile, journey.kind, adoptProfile]);

  const step = journey.kind === 'step' ? journey.step.view : null;

  /** The step's last screen is gone: the screen goes back to the terminal's application. */
  const leaveStep = (event: 'released' | 'timed_out') => {
    if (step) report(event === 'released' ? { stepId: step.stepId, event } : { stepId: step.stepId, event, locale });
    offered.forget();
    endSession();
  };

  const idle = useIdle(journey.kind !== 'attract', timing, () => {
    if (step) leaveStep(answered.current ? 'released' : 'timed_out');
    else endSession();
  });

  const warningShown = idle.warningLeft !== null;
  useEffect(() => {
    if (warningShown && step && !answered.current) report({ stepId: step.stepId, event: 'idle_warning', secondsLeft: timing.warningSeconds });
  }, [warningShown, step, timing.warningSeconds]);

  useEffect(() => {
    const root = document.documentElement;
    root.lang = locale;
    root.classList.toggle('high-contrast', display.contrast);
    root.classList.toggle('large-text', display.largeText);
    root.classList.toggle('screen-blank', blank && display.audio);
  }, [locale, display, blank]);

  const changeLocale = (next: Locale) => {
    setLocale(next);
    if (step && !answered.current && next !== locale) report({ stepId: step.stepId, event: 'language_changed', locale: next });
  };

  const decline = (view: StepView) => {
    answered.current = true;
    report({ stepId: view.stepId, event: 'declined', locale });
    offered.forget();
    endSession();
  };

  // Cancel leaves what the customer is doing with nothing recorded: an unanswered offer is declined, "Stop WhatsApp
  // messages" is left; an answered step waits for its own Continue.
  useKeypad({
    onCancel: () => {
      if (warningShown) return;
      if (journey.kind === 'stop') endSession();
      else if (journey.kind === 'step' && !answered.current) decline(journey.step.view);
    },
    onAudio: () => setDisplay((current) => ({ ...current, audio: !current.audio })),
    onBlank: () => setBlank((current) => display.audio && !current),
  });

  const later = useLaterScreens();

  const screen = () => {
    if (journey.kind === 'attract') {
      return (
        <>
          <Attract flows={profile.flows} onStop={() => setJourney({ kind: 'stop' })} />
          <ServiceGesture onOpen={() => setJourney({ kind: 'technician' })} />
        </>
      );
    }
    if (!later) return null;
    const { OptInStep, StopMessages, TechnicianMode } = later;
    if (journey.kind === 'stop') return <StopMessages flows={profile.flows} locale={locale} onExit={endSession} />;
    if (journey.kind === 'technician') return <TechnicianMode onLeave={endSession} />;
    const { view, flow } = journey.step;
    return (
      <OptInStep
        key={view.stepId}
        stepId={view.stepId}
        flow={flow}
        verified={view.verifiedSubject}
        locale={locale}
        onShown={() => report({ stepId: view.stepId, event: 'shown' })}
        onDecline={() => decline(view)}
        onConfirm={() => {
          answered.current = true;
        }}
        onFinished={() => leaveStep('released')}
      />
    );
  };

  const presentation = profile.hostIntegration.displayModel;
  // The step's business; between steps, the terminal's own (the first flow with a brand).
  const branded = journey.kind === 'step' ? journey.step.flow : profile.flows.find((flow) => flow.brand);
  useBrand(branded?.brand, display.contrast);

  return (
    <TextProvider locale={locale}>
      <PrivateListening enabled={display.audio} locale={locale} announcement={announcement} />
      <div className={`kiosk kiosk-${journey.kind} display-${presentation}`} inert={warningShown} aria-hidden={warningShown || undefined}>
        <header className="topbar">
          {branded?.brand && <img className="brand-logo" src={branded.brand.logo} alt={branded.business.name} />}
          <LanguageBar locales={profile.locales} current={locale} onChange={changeLocale} />
          <DisplayToggles value={display} onChange={setDisplay} />
        </header>
        <main key={session}>{screen()}</main>
        {showsServiceDetails(profile) && (
          <footer className="footer">
            <SyncIndicator />
          </footer>
        )}
      </div>
      {idle.warningLeft !== null && <IdleWarning secondsLeft={idle.warningLeft} onContinue={idle.keepAlive} />}
    </TextProvider>
  );
}
