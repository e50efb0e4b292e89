import { describe, expect, it } from 'vitest';
import { funnelCsv } from '../../../server/console/funnel-csv.ts';

describe('the funnel CSV', () => {
  it('writes one RFC 4180 row per counter, quoting what needs quotes and defusing what a spreadsheet would run as a formula', () => {
    const csv = funnelCsv([
      { day: '2026-03-01', flowId: 'atm', locale: 'ja', siteId: 'shinjuku', outcome: 'shown', count: 3 },
      { day: '2026-03-01', flowId: 'atm', locale: 'ja', siteId: '=HYPERLINK("x")', outcome: 'accepted', count: 1 },
      { day: '2026-03-01', flowId: 'atm', locale: 'en', siteId: 'a,b', outcome: 'declined', count: 0 },
    ]);
    expect(csv).toBe(
      'day,flowId,locale,siteId,outcome,count\r\n' +
        '2026-03-01,atm,ja,shinjuku,shown,3\r\n' +
        `2026-03-01,atm,ja,"'=HYPERLINK(""x"")",accepted,1\r\n` +
        '2026-03-01,atm,en,"a,b",declined,0\r\n',
    );
  });
});
