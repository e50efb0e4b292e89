/** How the console writes times and durations: UTC, to the second, the same on every page and in every download. */
export const utc = (iso: string | null): string => (iso === null ? '—' : `${iso.slice(0, 19).replace('T', ' ')} UTC`);

export function duration(ms: number | null): string {
  if (ms === null) return '—';
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '−' : '';
  if (abs < 1000) return `${sign}${abs} ms`;
  if (abs < 120_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  if (abs < 7_200_000) return `${sign}${Math.round(abs / 60_000)} min`;
  return `${sign}${Math.round(abs / 3_600_000)} h`;
}

export const failureText = (error: unknown): string => (error instanceof Error ? error.message : 'Something went wrong.');
