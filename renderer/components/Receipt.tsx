import type { Locale } from '../../shared/contract/primitives.ts';
import { useText } from '../i18n/use-text.tsx';

type Props = { purposes: string[]; maskedNumber: string; recordedAt: string; howToStop: string; locale: Locale };

/**
 * The customer's proof on screen, as the host's printer gets it (OfferOutcome.receipt): which messages, to which
 * number (masked: others may be looking), when, and how to stop (the business's STOP keyword and its other ways out).
 */
export function Receipt({ purposes, maskedNumber, recordedAt, howToStop, locale }: Props) {
  const text = useText();
  const when = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(recordedAt));
  return (
    <section className="receipt" aria-label={text('receipt.title')}>
      <dl>
        <dt data-speak>{text('receipt.purposes')}</dt>
        <dd data-speak>{new Intl.ListFormat(locale, { type: 'conjunction' }).format(purposes)}</dd>
        <dt data-speak>{text('receipt.number')}</dt>
        <dd data-speak>{maskedNumber}</dd>
        <dt data-speak>{text('receipt.when')}</dt>
        <dd data-speak>{when}</dd>
        <dt data-speak>{text('receipt.howToStop')}</dt>
        <dd data-speak className="receipt-stop">
          {howToStop}
        </dd>
      </dl>
    </section>
  );
}
