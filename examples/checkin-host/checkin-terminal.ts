import { CustomerVisit, type ExampleDeps } from '../host-page/customer-visit.ts';
import { actionButton, actionRow, escapeHtml, languageButtons, receiptHtml, screenHtml, type PageAction } from '../host-page/page-server.ts';

const BOOKING = { reference: 'K7Q2XD', passenger: 'YAMADA/HANAKO', flight: 'SR 123', destination: 'Sapporo (CTS)', gate: '14', time: '10:45', seat: '23A' };
const PURPOSE_LABELS: Record<string, string> = { gate_changes: 'gate changes', delays: 'delays', boarding_calls: 'boarding calls' };

type Screen = 'find_booking' | 'booking' | 'boarding_pass' | 'opt_in' | 'checked_in';

/**
 * The demo airline's check-in application, as a CUSS 2 application would run it: find the booking, check in,
 * print the boarding pass, then hand the screen to the kiosk for the WhatsApp opt-in (`airline.after_boarding_pass`)
 * and take it back with the outcome. The passenger types their number on the kiosk: the airline has none verified.
 */
export function checkinTerminal(deps: ExampleDeps) {
  let screen: Screen = 'find_booking';
  let notFound = false;
  const visit = new CustomerVisit(deps);

  const restart = async () => {
    await visit.leave();
    screen = 'find_booking';
  };

  const offerOptIn = async () => {
    screen = 'opt_in';
    await visit.begin({ entryPoint: 'airline.after_boarding_pass', customerReference: BOOKING.reference });
    if (await visit.offer('airline')) screen = 'checked_in';
  };

  const act = async ({ name, fields }: PageAction) => {
    switch (name) {
      case 'language':
        visit.chooseLanguage(fields);
        return;
      case 'find_booking':
        notFound = (fields.get('reference') ?? '').trim().toUpperCase() !== BOOKING.reference;
        if (!notFound) screen = 'booking';
        return;
      case 'check_in':
        screen = 'boarding_pass';
        return;
      case 'continue':
        void offerOptIn();
        return;
      case 'cancel':
        await restart();
        return;
      case 'finish':
        await restart();
        return;
    }
  };

  const cancel = actionButton('cancel', 'Cancel');
  const render = () => {
    switch (screen) {
      case 'find_booking':
        return screenHtml(
          'Sora Airlines check-in',
          `${languageButtons(visit.locale)}<form method="post" action="/action" class="actions"><input type="hidden" name="action" value="find_booking">` +
            `<input name="reference" aria-label="Booking reference" placeholder="${BOOKING.reference}" autocomplete="off" autofocus>` +
            `<button type="submit" class="primary">Find booking</button></form>${notFound ? '<p role="alert">No booking with that reference.</p>' : ''}`,
        );
      case 'booking':
        return screenHtml(
          'Your booking',
          `<p>${escapeHtml(`Booking ${BOOKING.reference}: ${BOOKING.passenger}, flight ${BOOKING.flight} to ${BOOKING.destination}.`)}</p>${actionRow(actionButton('check_in', 'Check in', { primary: true }), cancel)}`,
        );
      case 'boarding_pass':
        return screenHtml(
          'Your boarding pass is printing',
          `<p>${escapeHtml(`Flight ${BOOKING.flight} to ${BOOKING.destination}. Gate ${BOOKING.gate}, boarding at ${BOOKING.time}, seat ${BOOKING.seat}.`)}</p>${actionRow(actionButton('continue', 'Continue', { primary: true }))}`,
        );
      case 'opt_in':
        return screenHtml('One more question', `<p>Please answer on the WhatsApp screen.</p>${actionRow(actionButton('cancel', 'Leave'))}`);
      case 'checked_in':
        return screenHtml(
          'You are checked in',
          `${receiptHtml([`${BOOKING.flight} gate ${BOOKING.gate} seat ${BOOKING.seat}`, visit.answerLine(PURPOSE_LABELS)])}${actionRow(actionButton('finish', 'Finish', { primary: true }))}`,
        );
    }
  };

  return { act, render };
}
