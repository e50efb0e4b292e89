import type { Command } from 'commander';
import type { FunnelCount } from '../../../shared/contract/funnel.ts';
import { describeSyncState, readSyncState } from '../../sync/sync-state.ts';
import { openForInspection, resolveDataDir } from '../data-dir.ts';

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function funnelTable(counts: FunnelCount[]): string[] {
  const rows = [
    ['day', 'flow', 'purpose', 'locale', 'outcome', 'count'],
    ...counts.map((count) => [count.day, count.flowId, count.purposeId || '(none)', count.locale, count.outcome, String(count.count)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}`);
}

export function addStatusCommand(program: Command): void {
  program
    .command('status')
    .description('outbox counts, oldest pending age, chain head and events by type, key id, schema version and funnel counters')
    .option('--data <dir>', 'kiosk data directory')
    .option('--json', 'print one JSON object')
    .action((options: { data?: string; json?: boolean }) => {
      const dataDir = resolveDataDir(options.data);
      const { reader } = openForInspection(dataDir);
      try {
        const status = reader.status();
        const events = reader.eventCounts();
        const funnel = reader.funnelCounts();
        const sync = readSyncState(dataDir);
        if (options.json) {
          console.log(JSON.stringify({ ...status, events, sync, funnel }));
          return;
        }
        const { pending, synced, dead } = status.outbox;
        console.log(
          [
            `Device          ${status.deviceId}`,
            `Key id          ${status.keyId}`,
            `Schema version  ${status.schemaVersion}`,
            `Outbox          ${pending} pending, ${synced} synced, ${dead} dead`,
            `Oldest pending  ${status.oldestPendingAgeMs === null ? '—' : duration(status.oldestPendingAgeMs)}`,
            `Chain head      ${status.chainHead ? `seq ${status.chainHead.seq} ${status.chainHead.hash}` : 'no events yet'}`,
            `Chain events    ${events.consent} consents, ${events.clock_observation} clock observations, ${events.key_rotation} key rotations, ${events.service} service events`,
            ...describeSyncState(sync),
            funnel.length > 0 ? 'Funnel counters' : 'Funnel counters (none yet)',
            ...(funnel.length > 0 ? funnelTable(funnel) : []),
          ].join('\n'),
        );
      } finally {
        reader.close();
      }
    });
}
