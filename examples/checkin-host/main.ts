/** The demo airline's check-in application: `npm run example:checkin`, or npm start with `KIOSK_DEMO_HOST=checkin-host`. */
import { runExample } from '../host-page/run-example.ts';
import { checkinTerminal } from './checkin-terminal.ts';

await runExample({ name: 'checkin-host', brand: 'Sora Airlines check-in', terminal: checkinTerminal });
