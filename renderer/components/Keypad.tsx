import type { KeyboardEvent } from 'react';
import { useText } from '../i18n/use-text.tsx';

type Props = { onDigit: (digit: string) => void; onClear: () => void; onBack: () => void; onEnter: () => void };

const columns = 3;
const digitRows = ['123', '456', '789'];

/**
 * A telephone-layout keypad (1-2-3 on top) with Clear / 0 / Back below and a full-width Enter. The 5 carries a
 * raised dot, as on a physical keypad. Arrow keys move between keys.
 */
export function Keypad({ onDigit, onClear, onBack, onEnter }: Props) {
  const text = useText();

  const moveFocus = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns, ArrowDown: columns }[event.key];
    if (step === undefined) return;
    const keys = Array.from(event.currentTarget.querySelectorAll<HTMLButtonElement>('button'));
    const from = keys.indexOf(event.target as HTMLButtonElement);
    if (from < 0) return;
    event.preventDefault();
    keys[Math.min(keys.length - 1, Math.max(0, from + step))]?.focus();
  };

  return (
    <div className="keypad" role="group" aria-label={text('keypad.label')} onKeyDown={moveFocus}>
      {digitRows.flatMap((row) =>
        [...row].map((digit) => (
          <button key={digit} type="button" className="key" onClick={() => onDigit(digit)}>
            {digit}
            {digit === '5' && <span className="tactile-dot" aria-hidden="true" />}
          </button>
        )),
      )}
      <button type="button" className="key key-word" onClick={onClear}>
        {text('keypad.clear')}
      </button>
      <button type="button" className="key" onClick={() => onDigit('0')}>
        0
      </button>
      <button type="button" className="key key-word" onClick={onBack}>
        {text('keypad.back')}
      </button>
      <button type="button" className="key key-enter" onClick={onEnter}>
        {text('keypad.enter')}
      </button>
    </div>
  );
}
