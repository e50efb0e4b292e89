import { useState } from 'react';
import type { Diagnostics, TechnicianActionName, TechnicianActionResult } from '../../shared/contract/technician.ts';
import { groupedToken } from '../../shared/enrolment-token.ts';
import { Keypad } from '../components/Keypad.tsx';
import { Screen } from '../components/Screen.tsx';
import { useTechnicianSession } from './use-technician.ts';

type Props = { session: string; technician: string; onLeave: () => void };

const never = '—';
const time = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : never);
const bytes = (n: number | null) => (n === null ? 'unknown' : `${(n / 1024 ** 3).toFixed(1)} GiB`);

function rows(d: Diagnostics): Array<[string, string]> {
  const clock = d.clock.offsetMs === null ? 'not observed yet' : `${d.clock.offsetMs} ms from the API`;
  return [
    ['Device id', d.deviceId],
    ['Device key', `${d.keyId} (${d.keyFingerprint})`],
    ['Enrolment', { enrolled: 'Enrolled', not_enrolled: 'Not enrolled', sync_off: 'Sync off' }[d.enrolment]],
    ['Sync', `${d.sync.state}${d.sync.lastError ? `: ${d.sync.lastError}` : ''}`],
    ['Last successful sync', time(d.sync.lastSuccessAt)],
    ['Outbox', `${d.outbox.pending} pending, ${d.outbox.dead} dead`],
    ['Clock', `${clock}; ${d.clock.knownGood ? 'known-good' : 'not known-good'}`],
    ['Free disk', bytes(d.freeDiskBytes)],
    ['Ledger integrity', d.integrity ? d.integrity.message : 'not checked yet'],
    ['Profile', `${d.profile.id} version ${d.profile.version}, revision ${d.profile.revision}`],
    ['Profile signer', `${d.profile.keyFingerprint}${d.profile.developmentKey ? ' (DEVELOPMENT key)' : ''}`],
    ...(d.profile.refused ? ([['Profile refused', d.profile.refused]] as Array<[string, string]>) : []),
    ['App version', d.appVersion],
    ['Central API', `${d.apiUrl ?? 'none configured'}${d.apiReachable ? `: ${d.apiReachable.message}` : ''}`],
  ];
}

const ACTIONS: Array<[TechnicianActionName, string]> = [
  ['check_integrity', 'Check ledger integrity'],
  ['check_network', 'Re-check network'],
  ['sync_now', 'Sync now'],
  ['requeue_dead_letters', 'Re-queue dead letters'],
  ['export_dead_letters', 'Export dead letters'],
  ['test_capture', 'Test capture'],
  ['restart', 'Restart kiosk'],
];

/** One big, legible screen: every reading of the terminal, and the technician's actions below it. */
export function DiagnosticsScreen({ session, technician, onLeave }: Props) {
  const { diagnostics, ended, act } = useTechnicianSession(session);
  const [result, setResult] = useState<TechnicianActionResult | null>(null);
  const [token, setToken] = useState<string | null>(null);
  const run = async (action: TechnicianActionName, typed?: string) => setResult(await act(action, typed));

  if (ended) {
    return (
      <Screen title="Technician mode ended" className="technician">
        <p role="alert">{ended}</p>
        <button type="button" className="button primary" onClick={onLeave}>
          Back
        </button>
      </Screen>
    );
  }
  return (
    <Screen title="Diagnostics" className="technician diagnostics">
      <p className="technician-who">Signed in: {technician}</p>
      {diagnostics && (
        <dl className="diagnostics-list">
          {rows(diagnostics).map(([term, value]) => (
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
        <ul className="dead-letters" aria-label="Dead letters">
          {result.deadLetters.map((letter) => (
            <li key={letter.id}>
              seq {letter.seq} ({letter.type}): {letter.reason ?? 'no reason given'}
            </li>
          ))}
        </ul>
      )}
      {token === null ? (
        <div className="technician-actions">
          <button type="button" className="button" onClick={() => setToken('')}>
            Enrol
          </button>
          {ACTIONS.map(([action, label]) => (
            <button key={action} type="button" className="button" onClick={() => void run(action)}>
              {label}
            </button>
          ))}
          <button type="button" className="button primary" onClick={onLeave}>
            Leave technician mode
          </button>
        </div>
      ) : (
        <div className="technician-enrol">
          <label>
            Enrolment token
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
            Cancel enrolment
          </button>
        </div>
      )}
    </Screen>
  );
}
