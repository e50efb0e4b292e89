import { useEffect, useRef, useState } from 'react';
import type { StepView } from '../../shared/contract/kiosk-api.ts';
import type { Locale } from '../../shared/contract/primitives.ts';
import type { Flow } from '../../shared/contract/profile.ts';
import { formatInternational, maskPhone } from '../../shared/phone.ts';
import { recipientOnScreen, renderHowToStop } from '../../shared/wording.ts';
import { CaptureOutcome } from '../components/CaptureOutcome.tsx';
import { ConsentReview, type ReviewAnswer } from '../components/ConsentReview.tsx';
import { PhoneEntry, type EnteredNumber } from '../components/PhoneEntry.tsx';
import { PurposeChoices } from '../components/PurposeChoices.tsx';
import { Receipt } from '../components/Receipt.tsx';
import { Screen } from '../components/Screen.tsx';
import { consentChoices } from '../consent-choices.ts';
import { useText } from '../i18n/use-text.tsx';
import { useCapture } from '../use-capture.ts';
import { usePurposeSelection } from '../use-purpose-selection.ts';

type Props = {
  stepId: string;
  /** The flow with the purposes offered. */
  flow: Flow;
  verified: StepView['verifiedSubject'];
  locale: Locale;
  /** The offer's first screen has been painted. */
  onShown: () => void;
  /** The person said "No thanks". */
  onDecline: () => void;
  /** The person confirmed; the capture request is on its way. */
  onConfirm: () => void;
  /** Saved or failed: the host flow goes on. */
  onFinished: () => void;
};

type Phase = 'offer' | 'phone' | 'review';

/**
 * The product: inside the host flow, an offer naming the business, its WhatsApp number and the kinds of message,
 * with nothing pre-selected; then the number (host-verified and masked, or typed), the exact sentence(s), Confirm.
 */
export function OptInStep({ stepId, flow, verified, locale, onShown, onDecline, onConfirm, onFinished }: Props) {
  const text = useText();
  const shown = useRef(onShown);
  // After the first frame with the offer in it, so the host hears "shown" only once the customer can see it.
  useEffect(() => {
    const frame = requestAnimationFrame(() => shown.current());
    return () => cancelAnimationFrame(frame);
  }, []);
  const [phase, setPhase] = useState<Phase>('offer');
  const { selected, toggle, nothingChosen, requireSome } = usePurposeSelection();
  const [useOnFile, setUseOnFile] = useState(verified !== null);
  const [entered, setEntered] = useState<EnteredNumber | null>(null);
  const [acceptedIds, setAcceptedIds] = useState<readonly string[]>([]);
  const capture = useCapture();

  const business = flow.business.name;
  const onFile = verified && useOnFile ? verified : null;
  // The number as the customer sees it, in the sentence, on the review and on the receipt (shared/wording.ts).
  const recipient = onFile ? onFile.masked : entered ? recipientOnScreen('self_entered', entered.e164) : '';
  const noThanks = (
    <button type="button" className="button secondary" onClick={onDecline}>
      {text('optIn.noThanks')}
    </button>
  );

  if (capture.phase.kind !== 'editing') {
    return (
      <CaptureOutcome
        phase={capture.phase}
        business={business}
        terminal={flow.channel}
        savedText={{ title: 'capture.done.title', body: 'capture.done.body' }}
        failedBody={(code) => (code === 'storage_full' ? 'capture.failed.storage_full' : 'capture.failed.generic')}
        nextLabel="action.continue"
        receipt={
          capture.phase.kind === 'saved' && (
            <Receipt
              purposes={flow.purposes.filter((purpose) => acceptedIds.includes(purpose.id)).map((purpose) => purpose.label[locale] ?? purpose.id)}
              maskedNumber={onFile ? onFile.masked : maskPhone(entered?.e164 ?? '')}
              recordedAt={capture.phase.committedAt}
              howToStop={renderHowToStop(flow, locale)}
              locale={locale}
            />
          )
        }
        onNext={onFinished}
      />
    );
  }

  if (phase === 'phone') {
    return (
      <PhoneEntry
        title={text('phone.title')}
        defaultCountry={flow.defaultCountry}
        countries={flow.countries ?? []}
        onNumber={(number) => {
          setEntered(number);
          setPhase('review');
        }}
        actions={
          <button type="button" className="button secondary" onClick={() => setPhase('offer')}>
            {text('phone.changeChoices')}
          </button>
        }
      />
    );
  }

  if (phase === 'review') {
    const choices = consentChoices(flow, 'opt_in', selected, locale, recipient);
    const confirm = ({ accepted, declined }: ReviewAnswer) => {
      const subject = onFile
        ? { source: 'host_verified' as const, handle: onFile.handle }
        : { source: 'self_entered' as const, phone: entered?.e164 ?? '', country: entered?.country };
      setAcceptedIds(accepted.flatMap((choice) => choice.purposeIds));
      onConfirm();
      void capture.submit({
        kind: 'opt_in',
        flowId: flow.id,
        entryPoint: flow.entryPoint,
        locale,
        consents: accepted,
        ...(declined.length > 0 && { declined: declined.map(({ purposeIds }) => ({ purposeIds })) }),
        subject,
        stepId,
      });
    };
    return (
      <ConsentReview
        choices={choices}
        numberText={recipient}
        acceptEach
        onConfirm={confirm}
        actions={
          <>
            <button type="button" className="button secondary" onClick={() => setPhase('offer')}>
              {text('review.change')}
            </button>
            {noThanks}
          </>
        }
      />
    );
  }

  const review = () => {
    if (requireSome()) setPhase(onFile || entered ? 'review' : 'phone');
  };

  return (
    <Screen title={text('optIn.title', { business })} className="opt-in" timing="opt-in-shown">
      <p className="lead" data-speak>
        {text('optIn.from', { business, number: formatInternational(flow.business.whatsappNumber) })}
      </p>
      <p className="choose-hint" data-speak>
        {text('optIn.choose')}
      </p>
      <PurposeChoices purposes={flow.purposes} locale={locale} selected={selected} onToggle={toggle} />
      <div className="recipient-box">
        {onFile ? (
          <p data-speak>{text('optIn.numberOnFile', { business, masked: onFile.masked })}</p>
        ) : (
          <p data-speak>{entered ? text('review.to', { number: entered.international }) : text('optIn.numberToEnter')}</p>
        )}
        {onFile || entered ? (
          <button
            type="button"
            className="button secondary"
            onClick={() => {
              setUseOnFile(false);
              setEntered(null);
            }}
          >
            {text('optIn.useDifferent')}
          </button>
        ) : (
          verified && (
            <button type="button" className="button secondary" onClick={() => setUseOnFile(true)}>
              {text('optIn.useOnFile')}
            </button>
          )
        )}
      </div>
      <p className="note stop-note" data-speak>
        {text('optIn.stopAnyTime', { terminal: flow.channel })}
      </p>
      {nothingChosen && (
        <p className="error" role="alert">
          {text('optIn.chooseOne')}
        </p>
      )}
      <div className="actions">
        <button type="button" className="button primary" onClick={review}>
          {text('optIn.review')}
        </button>
        {noThanks}
      </div>
    </Screen>
  );
}
