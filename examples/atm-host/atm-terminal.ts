import { CustomerVisit, type ExampleDeps } from '../host-page/customer-visit.ts';
import { actionButton, actionRow, languageButtons, receiptHtml, screenHtml, type PageAction } from '../host-page/page-server.ts';

/** The demo bank's card: card + PIN identify this customer, so the bank knows the mobile number on file. */
const DEMO_CUSTOMER = { reference: 'demo-customer-0001', phone: '+819012345678' };
const PURPOSE_LABELS: Record<string, string> = { balance_alerts: 'balance alerts', payment_notices: 'payment notices', offers: 'offers' };
const yen = (amount: number) => `¥${amount.toLocaleString('en')}`;

type Screen = 'insert_card' | 'pin' | 'menu' | 'complete' | 'opt_in' | 'take_card';
type Transaction = 'withdrawal' | 'balance';

/**
 * The demo ATM, as a bank's own application would run it: card, PIN, a withdrawal or a balance enquiry, then the
 * WhatsApp opt-in through the kiosk's host API at `atm.after_transaction`, then "take your card". None of this is
 * in the kiosk; the kiosk only sees a session and an offer.
 */
export function atmTerminal(deps: ExampleDeps) {
  let screen: Screen = 'insert_card';
  let transaction: Transaction = 'withdrawal';
  let pinWrong = false;
  const visit = new CustomerVisit(deps);

  const restart = async () => {
    await visit.leave();
    screen = 'insert_card';
  };

  const offerOptIn = async () => {
    screen = 'opt_in';
    if (await visit.offer('atm')) screen = 'take_card';
  };

  const act = async ({ name, fields }: PageAction) => {
    switch (name) {
      case 'language':
        visit.chooseLanguage(fields);
        return;
      case 'insert_card':
        screen = 'pin';
        pinWrong = false;
        return;
      case 'pin': {
        if (!/^\d{4,6}$/.test(fields.get('pin') ?? '')) {
          pinWrong = true;
          return;
        }
        await visit.begin({
          entryPoint: 'atm.after_transaction',
          verifiedSubject: { phone: DEMO_CUSTOMER.phone },
          customerReference: DEMO_CUSTOMER.reference,
        });
        screen = 'menu';
        return;
      }
      case 'withdrawal':
      case 'balance':
        transaction = name;
        screen = 'complete';
        return;
      case 'continue':
        void offerOptIn();
        return;
      case 'cancel':
        // Card taken, customer gone: the kiosk wipes the step at once and the offer completes `cancelled`.
        await restart();
        return;
      case 'take_card':
        await restart();
        return;
    }
  };

  const page = screenHtml;
  const actions = actionRow;
  const cancel = actionButton('cancel', 'Cancel');

  const render = () => {
    switch (screen) {
      case 'insert_card':
        return page(
          'Welcome to Sakura Bank',
          `<p>Choose your language, then insert your card.</p>${languageButtons(visit.locale)}${actions(actionButton('insert_card', 'Insert card', { primary: true }))}`,
        );
      case 'pin':
        return page(
          'Enter your PIN',
          `<form method="post" action="/action" class="actions"><input type="hidden" name="action" value="pin">` +
            `<input type="password" name="pin" aria-label="PIN" inputmode="numeric" autocomplete="off" maxlength="6" autofocus>` +
            `<button type="submit" class="primary">Enter</button></form>${pinWrong ? '<p role="alert">Enter 4 to 6 digits.</p>' : ''}${actions(cancel)}`,
        );
      case 'menu':
        return page('Choose a transaction', actions(actionButton('withdrawal', 'Withdrawal', { primary: true }), actionButton('balance', 'Balance enquiry', { primary: true }), cancel));
      case 'complete':
        return page(
          'Transaction complete',
          `<p>${transaction === 'withdrawal' ? `Please take your cash: ${yen(20_000)}.` : `Your balance is ${yen(1_284_500)}.`}</p>${actions(actionButton('continue', 'Continue', { primary: true }))}`,
        );
      case 'opt_in':
        return page('One more question', `<p>Please answer on the WhatsApp screen.</p>${actions(actionButton('cancel', 'Take card and leave'))}`);
      case 'take_card':
        return page(
          'Please take your card and receipt',
          `${receiptHtml([
            transaction === 'withdrawal' ? `Withdrawal ${yen(20_000)}` : `Balance ${yen(1_284_500)}`,
            visit.answerLine(PURPOSE_LABELS),
          ])}${actions(actionButton('take_card', 'Take card', { primary: true }))}`,
        );
    }
  };

  return { act, render };
}
