import { useEffect, useRef } from 'react';
import { useText } from '../i18n/use-text.tsx';

type Props = { secondsLeft: number; onContinue: () => void };

/** The shared-terminal privacy warning: at least 20 seconds (from the profile) and one big Continue. */
export function IdleWarning({ secondsLeft, onContinue }: Props) {
  const text = useText();
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => button.current?.focus(), []);
  return (
    <div className="backdrop">
      <div
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="idle-title"
        aria-describedby="idle-body"
      >
        <h2 id="idle-title">{text('idle.title')}</h2>
        <p id="idle-body" className="lead">
          {text('idle.body', { seconds: secondsLeft })}
        </p>
        <button ref={button} type="button" className="button primary" onClick={onContinue}>
          {text('action.continue')}
        </button>
      </div>
    </div>
  );
}
