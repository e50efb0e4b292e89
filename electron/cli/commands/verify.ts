import type { Command } from 'commander';
import { openForInspection, resolveDataDir } from '../data-dir.ts';

export const EXIT_BROKEN = 2;

export function addVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('re-check every signature and the whole hash chain; exit 0 when intact, 2 naming the first break')
    .option('--data <dir>', 'kiosk data directory')
    .action((options: { data?: string }) => {
      const { reader } = openForInspection(resolveDataDir(options.data));
      try {
        const report = reader.verify();
        if (report.ok) {
          const head = report.head ? `head seq ${report.head.seq} ${report.head.hash.slice(0, 16)}…` : 'no events yet';
          const { consent, clock_observation: observations, key_rotation: rotations, service } = report.counts;
          const kinds = `${consent} consents, ${observations} clock observations, ${rotations} key rotations, ${service} service events`;
          const openings = report.openingsChecked > 0 ? `, ${report.openingsChecked} subject openings match their commitments` : '';
          console.log(`Ledger intact: ${report.events} events verified (${kinds}), ${head}${openings}.`);
        } else {
          console.error(`Ledger broken: ${report.break.message} (${report.break.problem}; ${report.events} events before it verified).`);
          process.exitCode = EXIT_BROKEN;
        }
      } finally {
        reader.close();
      }
    });
}
