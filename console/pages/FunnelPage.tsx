import { useEffect, useState, type FormEvent } from 'react';
import { Funnel, type FunnelRow } from '../../shared/contract/console.ts';
import { getJson } from '../api.ts';
import { DailyOutcomes, OutcomeBars } from '../charts/OutcomeCharts.tsx';
import { failureText } from '../format.ts';

const byFlow = (row: FunnelRow) => row.flowId;
const byLocale = (row: FunnelRow) => row.locale;
const bySite = (row: FunnelRow) => row.siteId;

const day = (offsetDays: number): string => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

export function FunnelPage() {
  const [period, setPeriod] = useState({ from: day(-29), to: day(0) });
  const [rows, setRows] = useState<FunnelRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const query = `from=${period.from}&to=${period.to}`;

  useEffect(() => {
    setError(null);
    getJson(`/funnel?${query}`, Funnel).then((funnel) => setRows(funnel.rows), (failure: unknown) => setError(failureText(failure)));
  }, [query]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPeriod({ from: String(form.get('from')), to: String(form.get('to')) });
  };

  return (
    <>
      <h1>Funnel</h1>
      <p>
        Each offer of a purpose counts once as shown, then as accepted, declined or timed out. Declines and timeouts are counted on the kiosk and hold no
        personal data; sites are where each device stands now.
      </p>
      <form className="inline" onSubmit={submit}>
        <label htmlFor="from">From</label>
        <input id="from" name="from" type="date" defaultValue={period.from} required />
        <label htmlFor="to">To</label>
        <input id="to" name="to" type="date" defaultValue={period.to} required />
        <button type="submit">Show</button>
        <a className="button" href={`/console/api/funnel.csv?${query}`} download="funnel.csv">
          Download CSV
        </a>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      {rows && (
        <div className="charts">
          <OutcomeBars title="Per flow" dimension="Flow" rows={rows} keyOf={byFlow} />
          <OutcomeBars title="Per locale" dimension="Locale" rows={rows} keyOf={byLocale} />
          <OutcomeBars title="Per site" dimension="Site" rows={rows} keyOf={bySite} />
          <DailyOutcomes rows={rows} />
        </div>
      )}
    </>
  );
}
