import { useEffect, useRef } from 'react';

/**
 * The terminal's keypad, as its keys reach the page (the EPP or the CUSS keypad sends them as keyboard keys):
 * digits type (number screens), Enter presses or ticks what has focus, Cancel (Escape) leaves the step with nothing
 * recorded, Clear (Delete) empties the number, Back (Backspace) removes a digit, the up/down keys (ArrowUp/ArrowDown,
 * also Tab) move between the choices and buttons, F1 turns private listening on and off, F2 blanks the screen while
 * it is on. docs/ui.md has the table.
 */
export const KEYPAD = { next: 'ArrowDown', previous: 'ArrowUp', cancel: 'Escape', clear: 'Delete', audio: 'F1', blank: 'F2' } as const;

type Handlers = { onCancel: () => void; onAudio: () => void; onBlank: () => void };

const focusable = 'button:not(:disabled), input:not(:disabled), select:not(:disabled)';

/** The controls a keypad user moves through: the open dialog's, else the step's first, then the top bar's. */
function controls(): HTMLElement[] {
  const dialog = document.querySelector('[role="alertdialog"]');
  if (dialog) return Array.from(dialog.querySelectorAll<HTMLElement>(focusable));
  const inMain = Array.from(document.querySelectorAll<HTMLElement>(`main ${focusable}`));
  const inTop = Array.from(document.querySelectorAll<HTMLElement>(`header ${focusable}`));
  return [...inMain, ...inTop];
}

function move(by: 1 | -1): void {
  const list = controls();
  if (list.length === 0) return;
  const from = list.indexOf(document.activeElement as HTMLElement);
  const to = from < 0 ? (by === 1 ? 0 : list.length - 1) : (from + by + list.length) % list.length;
  list[to]?.focus();
}

export function useKeypad(handlers: Handlers): void {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      const target = event.target as HTMLElement | null;
      const inSelect = target?.tagName === 'SELECT';
      const action = {
        [KEYPAD.next]: inSelect ? undefined : () => move(1),
        [KEYPAD.previous]: inSelect ? undefined : () => move(-1),
        [KEYPAD.cancel]: () => current.current.onCancel(),
        [KEYPAD.audio]: () => current.current.onAudio(),
        [KEYPAD.blank]: () => current.current.onBlank(),
        // Enter ticks a checkbox as Space does: a keypad has Enter, not Space.
        Enter: target instanceof HTMLInputElement && target.type === 'checkbox' ? () => target.click() : undefined,
      }[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}
