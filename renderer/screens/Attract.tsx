import type { Flow } from '../../shared/contract/profile.ts';
import { Screen } from '../components/Screen.tsx';
import { useText } from '../i18n/use-text.tsx';

type Props = { flows: Flow[]; onStop: () => void };

/**
 * The kiosk's own screen between offers: the opt-in step comes from the terminal's application during a
 * transaction; stopping messages a person may ask for here at any time.
 */
export function Attract({ flows, onStop }: Props) {
  const text = useText();
  const businesses = [...new Set(flows.map((flow) => flow.business.name))].join(' · ');
  return (
    <Screen title={text('attract.welcome')} className="attract">
      <p className="flow-title" data-speak>
        {businesses}
      </p>
      <p className="lead" data-speak>
        {text('attract.waiting')}
      </p>
      <div className="stop-entry">
        <p>{text('attract.stopHint')}</p>
        {/* Its first paint is when the kiosk became usable: npm run bench:ui reads that from the page afterwards. */}
        <button type="button" className="button primary start" onClick={onStop} elementtiming="kiosk-ready">
          {text('attract.stop')}
        </button>
      </div>
    </Screen>
  );
}
