import { useState, type FormEvent } from 'react';
import { ErasureResult, SubjectTimeline, type SubjectQuery, type TimelineEntry } from '../../shared/contract/console.ts';
import { postForFile, postJson } from '../api.ts';
import { failureText, utc } from '../format.ts';
import { useBusinesses } from './EnrolmentTokenForm.tsx';

const QUALITY_TEXT = { bounded: 'bounded by API statements', unbounded: 'device clock, inside the API bounds', clamped: 'device clock was off: moved to the API bound' };

function ConsentEntry({ entry }: { entry: Extract<TimelineEntry, { type: 'consent' }> }) {
  return (
    <article className="entry" aria-label={`${entry.kind === 'opt_in' ? 'Opt-in' : 'Opt-out'} for ${entry.purpose.id} at ${utc(entry.effectiveAt)}`}>
      <h3>
        {entry.kind === 'opt_in' ? 'Opt-in' : 'Opt-out'} · {entry.purpose.id} ({entry.purpose.category})
      </h3>
      <blockquote lang={entry.notice.locale}>{entry.sentence}</blockquote>
      <dl>
        <dt>Notice</dt>
        <dd>
          {entry.notice.id} version {entry.notice.version}, {entry.notice.locale}
        </dd>
        <dt>Notice approval</dt>
        <dd className={entry.unapprovedNotice ? 'error' : 'ok'}>
          {entry.unapprovedNotice ? 'Not approved: no published profile has this sentence (the event stands as proof of what was shown)' : 'Approved (or not checked)'}
        </dd>
        <dt>Where</dt>
        <dd>
          {entry.device.label ?? 'unplaced device'} (site {entry.device.siteId ?? '—'}; device {entry.device.id}), {entry.flowId} at {entry.entryPoint}
        </dd>
        <dt>Captured (device clock)</dt>
        <dd>
          {entry.capturedAt} {entry.clockKnownGood ? '(clock known good)' : '(clock not known good)'}
        </dd>
        <dt>Received by the API</dt>
        <dd>{utc(entry.receivedAt)}</dd>
        <dt>Effective</dt>
        <dd>
          {utc(entry.effectiveAt)}: {QUALITY_TEXT[entry.quality]} (between {utc(entry.earliest)} and {utc(entry.latest)})
        </dd>
        <dt>Signature</dt>
        <dd className={entry.signatureVerified ? 'ok' : 'error'}>{entry.signatureVerified ? `Verified (device key ${entry.device.keyId})` : 'Does NOT verify'}</dd>
      </dl>
    </article>
  );
}

function WhatsAppEntry({ entry }: { entry: Extract<TimelineEntry, { type: 'whatsapp' }> }) {
  return (
    <article className="entry" aria-label={`WhatsApp ${entry.value} at ${utc(entry.effectiveAt)}`}>
      <h3>
        WhatsApp {entry.value === 'stop' ? 'stop' : 'resume'} ({entry.source === 'user_preferences' ? 'marketing preference' : 'failed send, error 131050'})
      </h3>
      <dl>
        <dt>Effective</dt>
        <dd>{utc(entry.effectiveAt)}</dd>
        <dt>WhatsApp's time</dt>
        <dd>{utc(entry.claimedAt)}</dd>
        <dt>Received</dt>
        <dd>{utc(entry.receivedAt)}</dd>
        <dt>Signature</dt>
        <dd className={entry.signatureVerified ? 'ok' : 'error'}>{entry.signatureVerified ? 'X-Hub-Signature-256 verified' : 'not verified'}</dd>
      </dl>
      <details>
        <summary>Raw payload as received</summary>
        <pre tabIndex={0}>{entry.rawPayload ?? '(erased)'}</pre>
      </details>
    </article>
  );
}

function Erasure({ subject, onErased }: { subject: SubjectQuery; onErased: (message: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    postJson('/subjects/erase', { ...subject, confirm: true }, ErasureResult).then(
      (result) => onErased(`Erased: ${result.openings} consent opening(s), ${result.whatsappChanges} WhatsApp change(s), ${result.deliveries} payload(s). The signed events stay.`),
      (failure: unknown) => setError(failureText(failure)),
    );
  };
  return (
    <form onSubmit={submit} className="danger">
      <label className="check">
        <input type="checkbox" required /> I have checked this erasure request: erase this number's personal data with this business
      </label>
      <button type="submit">Erase personal data</button>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
}

export function SubjectPage() {
  const businesses = useBusinesses();
  const [subject, setSubject] = useState<SubjectQuery | null>(null);
  const [timeline, setTimeline] = useState<SubjectTimeline | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const lookUp = (query: SubjectQuery) => {
    setError(null);
    postJson('/subjects/timeline', query, SubjectTimeline).then(
      (answer) => {
        setSubject(query);
        setTimeline(answer);
      },
      (failure: unknown) => setError(failureText(failure)),
    );
  };
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setNotice(null);
    lookUp({ businessId: String(form.get('businessId')), phone: String(form.get('phone')).replace(/[\s-]/g, '') });
  };
  const download = (path: string, filename: string) => {
    if (subject) postForFile(path, subject, filename).catch((failure: unknown) => setError(failureText(failure)));
  };

  return (
    <>
      <h1>Subjects</h1>
      <form className="inline" onSubmit={submit}>
        <label htmlFor="businessId">Business</label>
        <select id="businessId" name="businessId" required>
          {businesses.map((business) => (
            <option key={business.id} value={business.id}>
              {business.name}
            </option>
          ))}
        </select>
        <label htmlFor="phone">Phone number (E.164)</label>
        <input id="phone" name="phone" type="tel" placeholder="+819012345678" required autoComplete="off" />
        <button type="submit">Look up</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      <p role="status">{notice}</p>
      {timeline && subject && (
        <section aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">
            {timeline.phone} with {timeline.businessId}
          </h2>
          <div className="actions">
            <button type="button" onClick={() => download('/subjects/access', `access-request-${subject.businessId}.json`)}>
              Download access request
            </button>
            <button type="button" onClick={() => download('/subjects/receipts', `receipts-${subject.businessId}.jsonl`)}>
              Download signed receipts
            </button>
          </div>
          <table>
            <caption>State per purpose now</caption>
            <thead>
              <tr>
                <th scope="col">Purpose</th>
                <th scope="col">State</th>
                <th scope="col">Since</th>
                <th scope="col">Decided by</th>
              </tr>
            </thead>
            <tbody>
              {timeline.states.map((state) => (
                <tr key={state.purposeId}>
                  <th scope="row">{state.purposeId}</th>
                  <td>{state.state === 'opted_in' ? 'Opted in' : 'Opted out'}</td>
                  <td>{utc(state.effectiveAt)}</td>
                  <td>{state.source === 'kiosk' ? 'kiosk consent' : 'WhatsApp'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Timeline ({timeline.entries.length})</h2>
          {timeline.entries.length === 0 && <p>Nothing is held for this number with this business.</p>}
          <ol className="timeline">
            {timeline.entries.map((entry, index) => (
              <li key={index}>{entry.type === 'consent' ? <ConsentEntry entry={entry} /> : <WhatsAppEntry entry={entry} />}</li>
            ))}
          </ol>
          <h2>Erasure request</h2>
          <Erasure
            subject={subject}
            onErased={(message) => {
              setNotice(message);
              lookUp(subject);
            }}
          />
        </section>
      )}
    </>
  );
}
