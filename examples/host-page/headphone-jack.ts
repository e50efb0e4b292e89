import type { KioskLink } from './kiosk-link.ts';
import { actionButton, actionRow } from './page-server.ts';

/**
 * The terminal's headphone jack. A bank's application hears it from its platform (XFS4IoT Auxiliaries
 * `enhancedAudioSensor` in Common.StatusChangedEvent) and forwards each change to the kiosk; here a button on the
 * example's page stands in for the socket. Said again after a reconnect, since the kiosk forgets the jack when
 * the host goes away.
 */
export function headphoneJack(link: KioskLink, report: (line: object) => void) {
  let present = false;
  let told: unknown = null;

  const tell = async () => {
    const client = link.client;
    if (!client) return report({ note: 'headphones: the kiosk is not connected' });
    told = client;
    await client.headphones(present ? 'present' : 'notPresent').then(
      () => report({ note: `headphones ${present ? 'in' : 'out'}` }),
      (error: unknown) => report({ note: `headphones: ${error instanceof Error ? error.message : String(error)}` }),
    );
  };

  return {
    toggle: async () => {
      present = !present;
      await tell();
    },
    /** Called on every page render: a new connection that has not heard of plugged-in headphones is told. */
    render: () => {
      if (present && link.client && told !== link.client) void tell();
      return actionRow(actionButton('headphones', present ? 'Unplug headphones' : 'Plug in headphones', { pressed: present }));
    },
  };
}
