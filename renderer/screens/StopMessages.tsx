import { useState } from 'react';
import type { Locale } from '../../shared/contract/primitives.ts';
import type { Flow } from '../../shared/contract/profile.ts';
import { CaptureOutcome } from '../components/CaptureOutcome.tsx';
import { ConsentReview } from '../components/ConsentReview.tsx';
import { PhoneEntry, type EnteredNumber } from '../components/PhoneEntry.tsx';
import { PurposeChoices } from '../components/PurposeChoices.tsx';
import { Screen } from '../components/Screen.tsx';
import { stopEntryPoint } from '../../shared/entry-points.ts';
import { recipientOnScreen } from '../../shared/wording.ts';
import { consentChoices } from '../consent-choices.ts';
import { useText } from '../i18n/use-text.tsx';
import { useCapture } from '../use-capture.ts';
import { usePurposeSelection } from '../use-purpose-selection.ts';

type Props = { flows: Flow[]; locale: Locale; onExit: () => void };

/** "Stop WhatsApp messages": number → whose messages → which messages → the exact sentence(s) → Confirm. */
export function StopMessages({ flows, locale, onExit }: Props) {
  const text = useText();
  const [entered, setEntered] = useState<EnteredNumber | null>(null);
  const [flow, setFlow] = useState<Flow | null>(flows.length === 1 ? (flows[0] ?? null) : null);
  const { selected, toggle, nothingChosen, requireSome } = usePurposeSelection();
  const [reviewing, setReviewing] = useState(false);
  const capture = useCapture();

  const cancel = (
    <button type="button" className="button secondary" onClick={onExit}>
      {text('flow.cancel')}
    </button>
  );

  if (!entered) {
    return (
      <PhoneEntry
        title={text('stop.numberTitle')}
        defaultCountry={flows[0]?.defaultCountry ?? 'JP'}
        countries={flows.flatMap((candidate) => candidate.countries ?? [])}
        onNumber={setEntered}
        actions={cancel}
      />
    );
  }

  if (!flow) {
    return (
      <Screen title={text('stop.business')} className="stop-business">
        <div className="menu">
          {flows.map((candidate) => (
            <button key={candidate.id} type="button" className="button primary" onClick={() => setFlow(candidate)}>
              {candidate.business.name}
            </button>
          ))}
        </div>
        <div className="actions">{cancel}</div>
      </Screen>
    );
  }

  if (capture.phase.kind !== 'editing') {
    return (
      <CaptureOutcome
        phase={capture.phase}
        business={flow.business.name}
        terminal={flow.channel}
        savedText={{ title: 'stop.done.title', body: 'stop.done.body' }}
        failedBody={() => 'capture.failed.optOut'}
        nextLabel="action.finish"
        onNext={onExit}
      />
    );
  }

  if (reviewing) {
    const recipient = recipientOnScreen('self_entered', entered.e164);
    const choices = consentChoices(flow, 'opt_out', selected, locale, recipient);
    return (
      <ConsentReview
        choices={choices}
        numberText={recipient}
        acceptEach={false}
        onConfirm={() =>
          void capture.submit({
            kind: 'opt_out',
            flowId: flow.id,
            entryPoint: stopEntryPoint(flow),
            locale,
            consents: choices,
            subject: { source: 'self_entered', phone: entered.e164, country: entered.country },
          })
        }
        actions={
          <>
            <button type="button" className="button secondary" onClick={() => setReviewing(false)}>
              {text('review.change')}
            </button>
            {cancel}
          </>
        }
      />
    );
  }

  return (
    <Screen title={text('stop.purposes', { business: flow.business.name })} className="stop-purposes">
      <PurposeChoices purposes={flow.purposes} locale={locale} selected={selected} onToggle={toggle} />
      {nothingChosen && (
        <p className="error" role="alert">
          {text('stop.chooseOne')}
        </p>
      )}
      <div className="actions">
        <button type="button" className="button primary" onClick={() => setReviewing(requireSome())}>
          {text('optIn.review')}
        </button>
        {cancel}
      </div>
    </Screen>
  );
}
