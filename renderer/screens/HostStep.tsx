import type { ReactNode } from 'react';
import type { Flow } from '../../shared/contract/profile.ts';
import { Screen } from '../components/Screen.tsx';
import type { MessageId } from '../i18n/en.ts';
import { useLocale, useText } from '../i18n/use-text.tsx';

export type Transaction = 'withdrawal' | 'balance';

type Props = {
  flow: Flow;
  screen: string;
  transaction: Transaction | null;
  onChooseTransaction: (transaction: Transaction) => void;
  onNext: () => void;
  onCancel: () => void;
};

const booking = { reference: 'K7Q2XD', passenger: 'YAMADA/HANAKO', flight: 'SR 123', destination: 'Sapporo (CTS)' };
const boarding = { ...booking, gate: '14', time: '10:45', seat: '23A' };

/**
 * Simulated screens standing in for the bank's and the airline's own software, so the opt-in step can be seen
 * where it really sits: inside a transaction or a check-in.
 */
export function HostStep({ flow, screen, transaction, onChooseTransaction, onNext, onCancel }: Props) {
  const text = useText();
  const locale = useLocale();
  const yen = (amount: number) => new Intl.NumberFormat(locale, { style: 'currency', currency: 'JPY' }).format(amount);

  const frame = (title: MessageId, content: ReactNode, last = false) => (
    <Screen title={text(title)} className="host-step">
      {content}
      {!last && (
        <div className="actions">
          <button type="button" className="button secondary" onClick={onCancel}>
            {text('flow.cancel')}
          </button>
        </div>
      )}
      <p className="simulated">{text('host.simulated', { business: flow.business.name })}</p>
    </Screen>
  );
  const simple = (title: MessageId, body: string | null, action: MessageId, last = false) =>
    frame(
      title,
      <>
        {body && (
          <p className="lead" data-speak>
            {body}
          </p>
        )}
        <button type="button" className="button primary wide" onClick={onNext}>
          {text(action)}
        </button>
      </>,
      last,
    );

  switch (screen) {
    case 'insert_card':
      return simple('host.insertCard.title', text('host.insertCard.body'), 'host.insertCard.action');
    case 'choose_transaction':
      return frame(
        'host.chooseTransaction.title',
        <div className="menu">
          <button type="button" className="button primary" onClick={() => onChooseTransaction('withdrawal')}>
            {text('host.chooseTransaction.withdrawal')}
          </button>
          <button type="button" className="button primary" onClick={() => onChooseTransaction('balance')}>
            {text('host.chooseTransaction.balance')}
          </button>
        </div>,
      );
    case 'transaction_complete':
      return simple(
        'host.transactionComplete.title',
        transaction === 'balance'
          ? text('host.transactionComplete.balance', { amount: yen(1_284_500) })
          : text('host.transactionComplete.withdrawal', { amount: yen(20_000) }),
        'action.continue',
      );
    case 'take_card':
      return simple('host.takeCard.title', text('host.takeCard.body', { business: flow.business.name }), 'action.finish', true);
    case 'find_booking':
      return simple('host.findBooking.title', text('host.findBooking.body', booking), 'host.findBooking.action');
    case 'boarding_pass':
      return simple('host.boardingPass.title', text('host.boardingPass.body', boarding), 'action.continue');
    case 'checkin_done':
      return simple('host.checkinDone.title', text('host.checkinDone.body', { business: flow.business.name }), 'action.finish', true);
    default:
      return simple('host.generic.title', null, 'action.continue');
  }
}
