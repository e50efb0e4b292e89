import fs from 'node:fs';
import { once } from 'node:events';
import { Option, type Command } from 'commander';
import { KioskFailure } from '../../../shared/contract/errors.ts';
import type { ExportHeader, ExportRecord } from '../../../shared/contract/ledger-export.ts';
import { toConsentReceipt } from '../../ledger/consent-receipt.ts';
import { isExportedConsent } from '../../ledger/event-export.ts';
import { openForInspection, resolveDataDir } from '../data-dir.ts';
import { EXIT_BROKEN } from './verify.ts';

type ExportOptions = { data?: string; format: 'jsonl' | 'receipts'; personalData: boolean; out?: string; allowBroken?: boolean };

async function writeLines(lines: Iterable<string>, out: NodeJS.WritableStream): Promise<void> {
  for (const line of lines) {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
}

/** The receipts view: one receipt per consent; the chain's other events are evidence, never receipts. */
function* asReceipts(records: Iterable<ExportRecord>): Generator<unknown> {
  let header: ExportHeader | undefined;
  for (const record of records) {
    if (record.record === 'header') header = record;
    if (record.record !== 'event') yield record;
    else if (isExportedConsent(record) && header) yield toConsentReceipt(header, record);
  }
}

export function addExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'JSON Lines: a header with the device keys, every signed event (or consent receipt), the API statement, a signed head; refuses a broken ledger',
    )
    .option('--data <dir>', 'kiosk data directory')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'receipts']).default('jsonl'))
    .option('--no-personal-data', 'leave out phone numbers and customer references')
    .option('--out <file>', 'write to a file (mode 0600) instead of stdout')
    .option('--allow-broken', 'export a ledger that verify calls broken, with the break recorded in the export')
    .action(async (options: ExportOptions) => {
      const { reader, canDecrypt } = openForInspection(resolveDataDir(options.data));
      try {
        if (options.personalData && !canDecrypt) {
          throw new KioskFailure(
            'forbidden',
            'The personal data in this ledger is sealed by the kiosk\'s OS keychain and cannot be read here; add --no-personal-data.',
          );
        }
        const report = reader.verify();
        if (!report.ok && !options.allowBroken) {
          console.error(
            `kioskctl: not exported, the ledger is broken: ${report.break.message} (${report.break.problem}); add --allow-broken to export it with the break recorded.`,
          );
          process.exitCode = EXIT_BROKEN;
          return;
        }
        if (!report.ok) console.error(`kioskctl: exporting a broken ledger; the export records the break (${report.break.problem}).`);
        if (options.personalData) {
          console.error('kioskctl: this export contains personal data (phone numbers, customer references). Handle it accordingly.');
        }
        const records = reader.exportRecords({ personalData: options.personalData, breakage: report.ok ? null : report.break });
        const lines = function* () {
          for (const record of options.format === 'receipts' ? asReceipts(records) : records) yield JSON.stringify(record);
        };
        const out = options.out ? fs.createWriteStream(options.out, { mode: 0o600 }) : process.stdout;
        await writeLines(lines(), out);
        if (out !== process.stdout) {
          out.end();
          await once(out, 'finish');
        }
      } finally {
        reader.close();
      }
    });
}
