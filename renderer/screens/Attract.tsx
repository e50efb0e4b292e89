import type { Locale } from '../../shared/contract/primitives.ts';
import type { Flow } from '../../shared/contract/profile.ts';
import { Screen } from '../components/Screen.tsx';
import { useText } from '../i18n/use-text.tsx';

type Props = {
  flows: Flow[];
  flow: Flow;
  /** A terminal started with `?flow=` runs that flow only; otherwise the demo lets one pick. */
  fixedFlow: boolean;
  locale: Locale;
  startFailed: boolean;
  onSelectFlow: (flowId: string) => void;
  onStart: () => void;
  onStop: () => void;
};

export function Attract({ flows, flow, fixedFlow, locale, startFailed, onSelectFlow, onStart, onStop }: Props) {
  const text = useText();
  return (
    <Screen title={text('attract.welcome')} className="attract">
      <p className="flow-title" data-speak>
        {flow.title[locale] ?? flow.business.name}
      </p>
      <p className="lead" data-speak>
        {text('attract.touch')}
      </p>
      {/* Its first paint is when the kiosk became usable: npm run bench:ui reads that from the page afterwards. */}
      <button type="button" className="button primary start" onClick={onStart} elementtiming="kiosk-ready">
        {text('attract.start')}
      </button>
      {startFailed && (
        <p className="error" role="alert">
          {text('attract.startFailed')}
        </p>
      )}
      {!fixedFlow && flows.length > 1 && (
        <div className="terminal-picker" role="group" aria-label={text('attract.terminal')}>
          <span className="field-label">{text('attract.terminal')}</span>
          {flows.map((candidate) => (
            <button
              key={candidate.id}
              type="button"
              className="chip"
              aria-pressed={candidate.id === flow.id}
              onClick={() => onSelectFlow(candidate.id)}
            >
              {candidate.title[locale] ?? candidate.id}
            </button>
          ))}
        </div>
      )}
      <div className="stop-entry">
        <p>{text('attract.stopHint')}</p>
        <button type="button" className="button secondary" onClick={onStop}>
          {text('attract.stop')}
        </button>
      </div>
    </Screen>
  );
}
