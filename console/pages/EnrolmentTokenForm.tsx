import { useEffect, useState, type FormEvent } from 'react';
import { z } from 'zod';
import { DEFAULT_TOKEN_VALID_HOURS, MAX_TOKEN_VALID_HOURS, type EnrolmentTokenTerms } from '../../shared/contract/console.ts';
import { getJson } from '../api.ts';
import { failureText, utc } from '../format.ts';

export const Businesses = z.object({ businesses: z.array(z.object({ id: z.string(), name: z.string() })) });
export type Business = z.infer<typeof Businesses>['businesses'][number];

export function useBusinesses(): Business[] {
  const [businesses, setBusinesses] = useState<Business[]>([]);
  useEffect(() => void getJson('/businesses', Businesses).then((answer) => setBusinesses(answer.businesses)), []);
  return businesses;
}

const PLACEMENT_FIELDS = [
  ['organisationUnit', 'Organisation unit'],
  ['siteId', 'Site id'],
  ['siteName', 'Site name'],
  ['terminalId', 'Terminal id'],
] as const;

/** A one-time enrolment token, shown once; limited to some businesses and pinned to a placement if the operator says so. */
export function EnrolmentTokenForm({ issue }: { issue: (terms: EnrolmentTokenTerms) => Promise<{ token: string; expiresAt: string }> }) {
  const businesses = useBusinesses();
  const [token, setToken] = useState<{ token: string; expiresAt: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const businessIds = form.getAll('businessIds').map(String);
    const placement = Object.fromEntries(PLACEMENT_FIELDS.map(([name]) => [name, String(form.get(name) ?? '').trim()]));
    const placed = Object.values(placement).some((value) => value !== '');
    const validHours = Number(form.get('validHours'));
    const terms = { ...(businessIds.length > 0 ? { businessIds } : {}), ...(placed ? { placement } : {}), validHours } as EnrolmentTokenTerms;
    setError(null);
    setToken(null);
    issue(terms).then(setToken, (failure: unknown) => setError(failureText(failure)));
  };

  return (
    <section aria-labelledby="enrol-heading">
      <h2 id="enrol-heading">Enrol a device</h2>
      <form onSubmit={submit}>
        <fieldset>
          <legend>Businesses it may collect for (none ticked: every registered business)</legend>
          {businesses.map((business) => (
            <label key={business.id} className="check">
              <input type="checkbox" name="businessIds" value={business.id} /> {business.name}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Where it stands (optional; all four pin the placement)</legend>
          {PLACEMENT_FIELDS.map(([name, label]) => (
            <span key={name} className="field">
              <label htmlFor={`placement-${name}`}>{label}</label>
              <input id={`placement-${name}`} name={name} />
            </span>
          ))}
        </fieldset>
        <span className="field">
          <label htmlFor="token-valid-hours">Valid for (hours, at most {MAX_TOKEN_VALID_HOURS})</label>
          <input id="token-valid-hours" name="validHours" type="number" min={1} max={MAX_TOKEN_VALID_HOURS} defaultValue={DEFAULT_TOKEN_VALID_HOURS} required />
        </span>
        <button type="submit">Issue enrolment token</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      {token && (
        <p role="status">
          One-time enrolment token (shown once): <output aria-label="Enrolment token" className="token">{token.token}</output>
          <span className="sub">Expires {utc(token.expiresAt)}; refused after that.</span>
        </p>
      )}
    </section>
  );
}
