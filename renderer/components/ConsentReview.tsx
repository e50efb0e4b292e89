import type { ReactNode } from 'react';
import type { ConsentChoice } from '../consent-choices.ts';
import { useText } from '../i18n/use-text.tsx';
import { Screen } from './Screen.tsx';

type Props = { choices: ConsentChoice[]; numberText: string; onConfirm: () => void; actions: ReactNode };

/** The exact sentence(s) being agreed to, each on its own, before an explicit Confirm. */
export function ConsentReview({ choices, numberText, onConfirm, actions }: Props) {
  const text = useText();
  return (
    <Screen title={text('review.title')} className="review">
      <p className="lead" data-speak>
        {text(choices.length > 1 ? 'review.introMany' : 'review.intro')}
      </p>
      <ul className="sentences">
        {choices.map((choice) => (
          <li key={choice.purposeIds.join(' ')} className="sentence" data-speak>
            {choice.shownText}
          </li>
        ))}
      </ul>
      <p className="recipient" data-speak>
        {text('review.to', { number: numberText })}
      </p>
      <div className="actions">
        <button type="button" className="button primary" onClick={onConfirm}>
          {text('review.confirm')}
        </button>
        {actions}
      </div>
    </Screen>
  );
}
