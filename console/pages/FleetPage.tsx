import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { z } from 'zod';
import { EnrolmentTokenIssued, Fleet, type DeviceFlag, type FleetDevice } from '../../shared/contract/console.ts';
import { getJson, postJson } from '../api.ts';
import { duration, failureText, utc } from '../format.ts';
import { EnrolmentTokenForm } from './EnrolmentTokenForm.tsx';
import { PublishProfileForm } from './PublishProfileForm.tsx';

const FLAG_TEXT: Record<DeviceFlag, string> = {
  revoked: 'Revoked',
  never_reported: 'No heartbeat yet',
  stale: 'Stale',
  dead_letters: 'Dead letters',
  backlog: 'Old backlog',
  chain_gap: 'Chain gap',
  clock_offset: 'Clock off',
  profile_lagging: 'Profile lags',
  unapproved_notices: 'Unapproved notices',
};

/** The profile the kiosk says it shows, against the newest published for it. */
function ProfileCell({ device }: { device: FleetDevice }) {
  const inForce = device.profileInForce;
  const published = device.profilePublished;
  return (
    <td>
      {inForce ? `revision ${inForce.revision}` : (device.profileVersion ?? '—')}
      {published && (
        <span className="sub">
          published: revision {published.revision} ({published.profileVersion}){inForce && inForce.revision >= published.revision ? ', up to date' : ', not yet in force'}
        </span>
      )}
      {device.unapprovedNotices > 0 && <span className="sub error">{device.unapprovedNotices} consent(s) with an unapproved notice</span>}
    </td>
  );
}

function RevokeForm({ device, onDone }: { device: FleetDevice; onDone: (message: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const id = `revoke-${device.deviceId}`;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get('reason'));
    postJson(`/devices/${device.deviceId}/revoke`, { reason }, z.object({ revokedAt: z.string() })).then(
      () => onDone(`Device ${device.placement?.terminalId ?? device.deviceId} revoked.`),
      (failure: unknown) => setError(failureText(failure)),
    );
  };
  return (
    <form className="inline" onSubmit={submit}>
      <label htmlFor={id}>Reason</label>
      <input id={id} name="reason" required maxLength={200} />
      <button type="submit">Revoke for good</button>
      {error && <span role="alert" className="error">{error}</span>}
    </form>
  );
}

function DeviceRow({ device, onChanged }: { device: FleetDevice; onChanged: (message: string) => void }) {
  const [revoking, setRevoking] = useState(false);
  const place = device.placement;
  return (
    <tr className={device.flags.length > 0 ? 'flagged' : undefined}>
      <th scope="row">
        {place ? place.terminalId : 'Unplaced'}
        <span className="sub">{device.deviceId}</span>
      </th>
      <td>{place ? `${place.siteName} (${place.siteId})` : '—'}</td>
      <td>{utc(device.lastHeartbeatAt)}</td>
      <td>
        {device.pending ?? '—'}
        {device.oldestPendingAgeMs !== null && <span className="sub">oldest {duration(device.oldestPendingAgeMs)}</span>}
      </td>
      <td>{device.dead ?? '—'}</td>
      <td>{duration(device.clockOffsetMs)}</td>
      <td>{device.appVersion}</td>
      <ProfileCell device={device} />
      <td>
        {device.flags.length === 0 ? (
          <span className="ok">Healthy</span>
        ) : (
          <ul className="flags">
            {device.flags.map((flag) => (
              <li key={flag}>{FLAG_TEXT[flag]}</li>
            ))}
          </ul>
        )}
      </td>
      <td>
        {device.revokedAt === null &&
          (revoking ? (
            <RevokeForm device={device} onDone={onChanged} />
          ) : (
            <button type="button" onClick={() => setRevoking(true)} aria-label={`Revoke ${place?.terminalId ?? device.deviceId}`}>
              Revoke…
            </button>
          ))}
      </td>
    </tr>
  );
}

export function FleetPage() {
  const [fleet, setFleet] = useState<Fleet | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(() => getJson('/fleet', Fleet).then(setFleet, (failure: unknown) => setError(failureText(failure))), []);
  useEffect(() => void load(), [load]);

  const changed = (message: string) => {
    setNotice(message);
    void load();
  };
  const flagged = fleet?.devices.filter((device) => device.flags.length > 0).length ?? 0;

  return (
    <>
      <h1>Fleet</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <p role="status">{notice}</p>
      {fleet && (
        <>
          <p>
            {fleet.devices.length} device(s), {flagged} flagged. A device is stale after {duration(fleet.staleAfterMs)} without a heartbeat. As of {utc(fleet.generatedAt)}.
          </p>
          <div className="scroll">
            <table>
              <caption>Enrolled devices</caption>
              <thead>
                <tr>
                  <th scope="col">Terminal</th>
                  <th scope="col">Site</th>
                  <th scope="col">Last heartbeat</th>
                  <th scope="col">Outbox backlog</th>
                  <th scope="col">Dead letters</th>
                  <th scope="col">Clock offset</th>
                  <th scope="col">App</th>
                  <th scope="col">Profile</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {fleet.devices.map((device) => (
                  <DeviceRow key={device.deviceId} device={device} onChanged={changed} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <PublishProfileForm onPublished={changed} />
      <EnrolmentTokenForm issue={(terms) => postJson('/enrolment-tokens', terms, EnrolmentTokenIssued)} />
    </>
  );
}
