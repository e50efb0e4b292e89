import type { FunnelRow } from '../../shared/contract/console.ts';

const COLUMNS = ['day', 'flowId', 'locale', 'siteId', 'outcome', 'count'] as const satisfies readonly (keyof FunnelRow)[];

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; one that could start a spreadsheet formula is prefixed with '. */
function field(value: string | number): string {
  const text = String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The funnel as the CSV an operator opens in a spreadsheet: one row per day, flow, locale, site and outcome. */
export function funnelCsv(rows: readonly FunnelRow[]): string {
  return [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((column) => field(row[column])).join(','))].join('\r\n') + '\r\n';
}
