import type { ReactNode } from 'react';
import { choiceKey, type ConsentChoice } from '../consent-choices.ts';
import { useText } from '../i18n/use-text.tsx';
import { usePurposeSelection } from '../use-purpose-selection.ts';
import { Screen } from './Screen.tsx';

/** What Confirm answers: the sentences accepted, and those the customer was shown and left unaccepted. */
export type ReviewAnswer = { accepted: ConsentChoice[]; declined: ConsentChoice[] };

type Props = {
  choices: ConsentChoice[];
  numberText: string;
  /**
   * Two or more sentences (service messages and marketing): each gets its own box, none ticked, and Confirm records
   * the ticked ones; one left unticked is declined without holding up the others. Otherwise Confirm accepts the one.
   */
  acceptEach: boolean;
  onConfirm: (answer: ReviewAnswer) => void;
  actions: ReactNode;
};

/** The exact sentence(s) being agreed to, each on its own, before an explicit Confirm. */
export function ConsentReview({ choices, numberText, acceptEach, onConfirm, actions }: Props) {
  const text = useText();
  // The same rule as for purposes: nothing ticked at first, and Confirm needs at least one.
  const { selected: accepted, toggle, nothingChosen: noneAccepted, requireSome } = usePurposeSelection();
  const separately = acceptEach && choices.length > 1;

  const confirm = () => {
    if (!separately) return onConfirm({ accepted: choices, declined: [] });
    if (!requireSome()) return;
    onConfirm({
      accepted: choices.filter((choice) => accepted.has(choiceKey(choice))),
      declined: choices.filter((choice) => !accepted.has(choiceKey(choice))),
    });
  };

  return (
    <Screen title={text('review.title')} className={separately ? 'review review-each' : 'review'}>
      <p className="lead" data-speak>
        {text(separately ? 'review.introEach' : choices.length > 1 ? 'review.introMany' : 'review.intro')}
      </p>
      <ul className="sentences">
        {choices.map((choice) => (
          <li key={choiceKey(choice)} className="sentence" data-speak={separately ? undefined : true}>
            {separately ? (
              <label className="choice sentence-choice">
                <input type="checkbox" checked={accepted.has(choiceKey(choice))} onChange={() => toggle(choiceKey(choice))} />
                <span className="choice-label" data-speak>
                  {choice.shownText}
                </span>
              </label>
            ) : (
              choice.shownText
            )}
          </li>
        ))}
      </ul>
      <p className="recipient" data-speak>
        {text('review.to', { number: numberText })}
      </p>
      {noneAccepted && (
        <p className="error" role="alert">
          {text('review.acceptOne')}
        </p>
      )}
      <div className="actions">
        <button type="button" className="button primary" onClick={confirm}>
          {text('review.confirm')}
        </button>
        {actions}
      </div>
    </Screen>
  );
}
