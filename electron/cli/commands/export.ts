import fs from 'node:fs';
import { once } from 'node:events';
import { Option, type Command } from 'commander';
import { KioskFailure } from '../../../shared/contract/errors.ts';
import { toConsentReceipt } from '../../ledger/consent-receipt.ts';
import type { ExportHeader } from '../../ledger/event-export.ts';
import { openForInspection, resolveDataDir } from '../data-dir.ts';

type ExportOptions = { data?: string; format: 'jsonl' | 'receipts'; personalData: boolean; out?: string };

async function writeLines(lines: Iterable<string>, out: NodeJS.WritableStream): Promise<void> {
  for (const line of lines) {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
}

export function addExportCommand(program: Command): void {
  program
    .command('export')
    .description('JSON Lines: a header with the device public key, then every signed event (or consent receipt)')
    .option('--data <dir>', 'kiosk data directory')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'receipts']).default('jsonl'))
    .option('--no-personal-data', 'leave out phone numbers and customer references')
    .option('--out <file>', 'write to a file (mode 0600) instead of stdout')
    .action(async (options: ExportOptions) => {
      const { reader, canDecrypt } = openForInspection(resolveDataDir(options.data));
      try {
        if (options.personalData && !canDecrypt) {
          throw new KioskFailure(
            'forbidden',
            'The personal data in this ledger is sealed by the kiosk\'s OS keychain and cannot be read here; add --no-personal-data.',
          );
        }
        if (options.personalData) {
          console.error('kioskctl: this export contains personal data (phone numbers, customer references). Handle it accordingly.');
        }
        const records = reader.exportRecords({ personalData: options.personalData });
        let header: ExportHeader | undefined;
        const lines = function* () {
          for (const record of records) {
            if (record.record === 'header') header = record;
            yield JSON.stringify(options.format === 'receipts' && record.record === 'event' && header ? toConsentReceipt(header, record) : record);
          }
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
