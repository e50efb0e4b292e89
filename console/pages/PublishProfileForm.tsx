import { useState, type FormEvent } from 'react';
import { ProfilePublications, type ProfileTarget } from '../../shared/contract/console.ts';
import { postJson } from '../api.ts';
import { failureText } from '../format.ts';

/** Site ids and device ids, one per line or comma-separated; a UUID is a device. */
function targetsOf(text: string): ProfileTarget[] {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  return text
    .split(/[\s,]+/)
    .filter((id) => id !== '')
    .map((id) => (uuid.test(id) ? { kind: 'device', id } : { kind: 'site', id }));
}

/**
 * Publishes a signed profile (the file `kioskctl profile sign` wrote) for sites and devices. The API checks it against
 * the organisation's provisioning key and refuses, with its sentence, what a terminal would refuse; each kiosk checks
 * it again against its own pinned key and switches to it between customers.
 */
export function PublishProfileForm({ onPublished }: { onPublished: (message: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get('profile');
    setError(null);
    let profile: unknown;
    try {
      profile = JSON.parse(file instanceof File ? await file.text() : '');
    } catch {
      setError('The file is not JSON: choose the signed profile that kioskctl profile sign wrote.');
      return;
    }
    postJson('/profiles', { targets: targetsOf(String(form.get('targets') ?? '')), profile }, ProfilePublications).then(
      ({ publications }) => onPublished(`Profile revision ${publications[0]!.revision} published for ${publications.map((p) => `${p.target.kind} ${p.target.id}`).join(', ')}.`),
      (failure: unknown) => setError(failureText(failure)),
    );
  };
  return (
    <section aria-labelledby="publish-heading">
      <h2 id="publish-heading">Publish a signed profile</h2>
      <form onSubmit={(event) => void submit(event)}>
        <span className="field">
          <label htmlFor="publish-file">Signed profile file</label>
          <input id="publish-file" name="profile" type="file" accept="application/json,.json" required />
        </span>
        <span className="field">
          <label htmlFor="publish-targets">Sites and devices (site ids or device ids)</label>
          <input id="publish-targets" name="targets" required />
        </span>
        <button type="submit">Publish profile</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
    </section>
  );
}
