import { useMemo } from 'react';
import uPlot from 'uplot';
import type { FunnelOutcome } from '../../shared/contract/funnel.ts';
import type { FunnelRow } from '../../shared/contract/console.ts';
import { UplotChart } from './uplot-chart.tsx';

export const OUTCOMES: readonly FunnelOutcome[] = ['shown', 'accepted', 'declined', 'timed_out'];
export const OUTCOME_NAMES: Record<FunnelOutcome, string> = { shown: 'Shown', accepted: 'Accepted', declined: 'Declined', timed_out: 'Timed out' };
// distinct in hue and lightness, each at least 4.5:1 against the white page
const COLOURS: Record<FunnelOutcome, string> = { shown: '#4b5563', accepted: '#15803d', declined: '#b91c1c', timed_out: '#a16207' };

type Totals = Map<string, Record<FunnelOutcome, number>>;

const DAY_S = 86_400;

export function totalsBy(rows: readonly FunnelRow[], keyOf: (row: FunnelRow) => string): Totals {
  const totals: Totals = new Map();
  for (const row of rows) {
    const key = keyOf(row);
    const entry = totals.get(key) ?? { shown: 0, accepted: 0, declined: 0, timed_out: 0 };
    entry[row.outcome] += row.count;
    totals.set(key, entry);
  }
  return new Map([...totals].sort(([a], [b]) => a.localeCompare(b)));
}

function Legend() {
  return (
    <ul className="legend" aria-hidden="true">
      {OUTCOMES.map((outcome) => (
        <li key={outcome}>
          <span className="swatch" data-outcome={outcome} /> {OUTCOME_NAMES[outcome]}
        </li>
      ))}
    </ul>
  );
}

function TotalsTable({ caption, dimension, totals }: { caption: string; dimension: string; totals: Totals }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{dimension}</th>
          {OUTCOMES.map((outcome) => (
            <th scope="col" key={outcome}>
              {OUTCOME_NAMES[outcome]}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {[...totals].map(([key, counts]) => (
          <tr key={key}>
            <th scope="row">{key || '(none)'}</th>
            {OUTCOMES.map((outcome) => (
              <td key={outcome}>{counts[outcome]}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const summaryOf = (title: string, totals: Totals): string =>
  `${title}: ${[...totals].map(([key, counts]) => `${key || '(none)'} ${OUTCOMES.map((outcome) => `${counts[outcome]} ${OUTCOME_NAMES[outcome].toLowerCase()}`).join(', ')}`).join('; ')}`;

/**
 * Shown → accepted / declined / timed out, one group of four bars per flow, locale or site. uPlot draws series over
 * one x axis, so each outcome's bar sits at its own offset within the group and is empty elsewhere.
 */
export function OutcomeBars({ title, dimension, rows, keyOf }: { title: string; dimension: string; rows: readonly FunnelRow[]; keyOf: (row: FunnelRow) => string }) {
  const totals = useMemo(() => totalsBy(rows, keyOf), [rows, keyOf]);
  const { options, data } = useMemo(() => {
    const keys = [...totals.keys()];
    const xs: number[] = [];
    const series = OUTCOMES.map(() => [] as (number | null)[]);
    keys.forEach((key, group) => {
      OUTCOMES.forEach((outcome, index) => {
        xs.push(group + (index - 1.5) * 0.2);
        series.forEach((values, which) => values.push(which === index ? totals.get(key)![outcome] : null));
      });
    });
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: { x: { time: false, range: [-0.6, Math.max(0.6, keys.length - 0.4)] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ splits: () => keys.map((_, index) => index), values: (_u, splits) => splits.map((split) => keys[split] ?? '') }, { label: 'offers' }],
      series: [{}, ...OUTCOMES.map((outcome) => ({ label: OUTCOME_NAMES[outcome], fill: COLOURS[outcome], stroke: COLOURS[outcome], paths: uPlot.paths.bars!({ size: [0.9, 48] }), points: { show: false } }))],
    };
    return { options, data: [xs, ...series] as uPlot.AlignedData };
  }, [totals]);
  return (
    <figure>
      <figcaption>{title}</figcaption>
      <Legend />
      {totals.size > 0 ? <UplotChart options={options} data={data} summary={summaryOf(title, totals)} /> : <p>No counts in this period.</p>}
      <TotalsTable caption={`${title} (numbers)`} dimension={dimension} totals={totals} />
    </figure>
  );
}

/** The four outcomes day by day. */
export function DailyOutcomes({ rows }: { rows: readonly FunnelRow[] }) {
  const byDay = (row: FunnelRow) => row.day;
  const totals = useMemo(() => totalsBy(rows, byDay), [rows]);
  const { options, data } = useMemo(() => {
    const days = [...totals.keys()];
    const seconds = days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      // days are UTC days, as the counters and the table are
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      // a day either side, so a single day is a point in a week rather than in uPlot's default of years
      scales: { x: { time: true, auto: false, range: [seconds[0]! - DAY_S, seconds.at(-1)! + DAY_S] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { label: 'offers' }],
      series: [{}, ...OUTCOMES.map((outcome) => ({ label: OUTCOME_NAMES[outcome], stroke: COLOURS[outcome], width: 2 }))],
    };
    const data = [seconds, ...OUTCOMES.map((outcome) => days.map((day) => totals.get(day)![outcome]))] as uPlot.AlignedData;
    return { options, data };
  }, [totals]);
  const title = 'Per day';
  return (
    <figure>
      <figcaption>{title}</figcaption>
      <Legend />
      {totals.size > 0 ? <UplotChart options={options} data={data} summary={summaryOf(title, totals)} /> : <p>No counts in this period.</p>}
      <TotalsTable caption={`${title} (numbers)`} dimension="Day (UTC)" totals={totals} />
    </figure>
  );
}
