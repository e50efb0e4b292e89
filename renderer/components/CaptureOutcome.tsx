import type { ReactNode } from 'react';
import type { CapturePhase } from '../use-capture.ts';
import type { MessageId } from '../i18n/en.ts';
import { useText } from '../i18n/use-text.tsx';
import { Screen } from './Screen.tsx';

type Props = {
  phase: Exclude<CapturePhase, { kind: 'editing' }>;
  business: string;
  /** The flow's channel (`atm`, …): how the screen calls the terminal the customer stands at. */
  terminal: string;
  savedText: { title: MessageId; body: MessageId };
  failedBody: (code: string) => MessageId;
  nextLabel: MessageId;
  /** What the customer takes away once saved (the opt-in's receipt, which says how to stop). */
  receipt?: ReactNode;
  onNext: () => void;
};

/** Saving, then "saved" (only after the host's durable commit) or a plain failure; either way the flow goes on. */
export function CaptureOutcome({ phase, business, terminal, savedText, failedBody, nextLabel, receipt, onNext }: Props) {
  const text = useText();
  if (phase.kind === 'saving') {
    return (
      <section className="screen saving" aria-busy="true">
        <div className="spinner" aria-hidden="true" />
        <h1 role="status">{text('capture.saving')}</h1>
      </section>
    );
  }
  const saved = phase.kind === 'saved';
  return (
    <Screen title={text(saved ? savedText.title : 'capture.failed.title')} className={saved ? 'outcome saved' : 'outcome failed'}>
      <div className={saved ? 'outcome-mark saved-mark' : 'outcome-mark failed-mark'} aria-hidden="true" />
      <p className="lead" data-speak>
        {saved ? text(savedText.body, { business }) : text(failedBody(phase.code))}
      </p>
      {saved && receipt}
      {saved && !receipt && (
        <p className="note" data-speak>
          {text('optIn.stopAnyTime', { terminal })}
        </p>
      )}
      <div className="actions">
        <button type="button" className="button primary" onClick={onNext}>
          {text(nextLabel)}
        </button>
      </div>
    </Screen>
  );
}
