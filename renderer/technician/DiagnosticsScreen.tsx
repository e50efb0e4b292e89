import { useState } from 'react';
import type { Diagnostics, TechnicianActionName, TechnicianActionResult } from '../../shared/contract/technician.ts';
import { groupedToken } from '../../shared/enrolment-token.ts';
import { Keypad } from '../components/Keypad.tsx';
import { Screen } from '../components/Screen.tsx';
import { useText, type Text } from '../i18n/use-text.tsx';
import { useTechnicianSession } from './use-technician.ts';

type Props = { session: string; technician: string; onLeave: () => void };

const never = '—';
const time = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : never);

function rows(d: Diagnostics, text: Text): Array<[string, string]> {
  const clock = d.clock.offsetMs === null ? text('technician.clock.notObserved') : text('technician.clock.offset', { offset: d.clock.offsetMs });
  const disk = d.freeDiskBytes === null ? text('technician.unknown') : `${(d.freeDiskBytes / 1024 ** 3).toFixed(1)} GiB`;
  return [
    [text('technician.row.deviceId'), d.deviceId],
    [text('technician.row.deviceKey'), `${d.keyId} (${d.keyFingerprint})`],
    [text('technician.row.enrolment'), text(`technician.enrolment.${d.enrolment}`)],
    [text('technician.row.sync'), `${text(`technician.sync.${d.sync.state}`)}${d.sync.lastError ? `: ${d.sync.lastError}` : ''}`],
    [text('technician.row.lastSync'), time(d.sync.lastSuccessAt)],
    [text('technician.row.outbox'), text('technician.outbox', { pending: d.outbox.pending, dead: d.outbox.dead })],
    [text('technician.row.clock'), `${clock}; ${text(d.clock.knownGood ? 'technician.clock.knownGood' : 'technician.clock.notKnownGood')}`],
    [text('technician.row.freeDisk'), disk],
    [text('technician.row.integrity'), d.integrity ? d.integrity.message : text('technician.integrity.notChecked')],
    [text('technician.row.profile'), text('technician.profile', { id: d.profile.id, version: d.profile.version, revision: d.profile.revision })],
    [text('technician.row.profileSigner'), `${d.profile.keyFingerprint}${d.profile.developmentKey ? ` ${text('technician.developmentKey')}` : ''}`],
    ...(d.profile.refused ? ([[text('technician.row.profileRefused'), d.profile.refused]] as Array<[string, string]>) : []),
    [text('technician.row.appVersion'), d.appVersion],
    [text('technician.row.api'), `${d.apiUrl ?? text('technician.api.none')}${d.apiReachable ? `: ${d.apiReachable.message}` : ''}`],
  ];
}

const ACTIONS: TechnicianActionName[] = ['check_integrity', 'check_network', 'sync_now', 'requeue_dead_letters', 'export_dead_letters', 'test_capture', 'restart'];

/** One big, legible screen: every reading of the terminal, and the technician's actions below it. */
export function DiagnosticsScreen({ session, technician, onLeave }: Props) {
  const text = useText();
  const { diagnostics, ended, act } = useTechnicianSession(session);
  const [result, setResult] = useState<TechnicianActionResult | null>(null);
  const [token, setToken] = useState<string | null>(null);
  const run = async (action: TechnicianActionName, typed?: string) => setResult(await act(action, typed));

  if (ended) {
    return (
      <Screen title={text('technician.ended')} className="technician">
        <p role="alert">{ended}</p>
        <button type="button" className="button primary" onClick={onLeave}>
          {text('technician.back')}
        </button>
      </Screen>
    );
  }
  return (
    <Screen title={text('technician.diagnostics')} className="technician diagnostics">
      <p className="technician-who">{text('technician.signedIn', { technician })}</p>
      {diagnostics && (
        <dl className="diagnostics-list">
          {rows(diagnostics, text).map(([term, value]) => (
            <div key={term}>
              <dt>{term}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      )}
      {result && (
        <p role="status" className={`technician-result ${result.outcome}`}>
          {result.message}
        </p>
      )}
      {result?.deadLetters && result.deadLetters.length > 0 && (
        <ul className="dead-letters" aria-label={text('technician.deadLetters')}>
          {result.deadLetters.map((letter) => (
            <li key={letter.id}>
              {text('technician.deadLetter', { seq: letter.seq, type: letter.type, reason: letter.reason ?? text('technician.noReason') })}
            </li>
          ))}
        </ul>
      )}
      {token === null ? (
        <div className="technician-actions">
          <button type="button" className="button" onClick={() => setToken('')}>
            {text('technician.action.enrol')}
          </button>
          {ACTIONS.map((action) => (
            <button key={action} type="button" className="button" onClick={() => void run(action)}>
              {text(`technician.action.${action}`)}
            </button>
          ))}
          <button type="button" className="button primary" onClick={onLeave}>
            {text('technician.leave')}
          </button>
        </div>
      ) : (
        <div className="technician-enrol">
          <label>
            {text('technician.enrolmentToken')}
            <output>{groupedToken(token) || never}</output>
          </label>
          <Keypad
            onDigit={(digit) => setToken((current) => ((current ?? '').length < 16 ? `${current ?? ''}${digit}` : current))}
            onClear={() => setToken('')}
            onBack={() => setToken((current) => (current ?? '').slice(0, -1))}
            onEnter={() => {
              void run('enrol', token);
              setToken(null);
            }}
          />
          <button type="button" className="button" onClick={() => setToken(null)}>
            {text('technician.cancelEnrolment')}
          </button>
        </div>
      )}
    </Screen>
  );
}
