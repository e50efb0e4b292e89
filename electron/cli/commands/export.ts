import fs from 'node:fs';
import { once } from 'node:events';
import { Option, type Command } from 'commander';
import { KioskFailure } from '../../../shared/contract/errors.ts';
import { loadProfile } from '../../host/profile-file.ts';
import { receiptRecords } from '../../ledger/consent-receipt.ts';
import { openForInspection, openReceiptSigner, resolveDataDir } from '../data-dir.ts';
import { EXIT_BROKEN } from './verify.ts';

type ExportOptions = {
  data?: string;
  format: 'jsonl' | 'receipts';
  personalData: boolean;
  out?: string;
  profile?: string;
  allowBroken?: boolean;
};

async function writeLines(records: Iterable<unknown> | AsyncIterable<unknown>, out: NodeJS.WritableStream): Promise<void> {
  for await (const record of records) {
    if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
  }
}

/** Receipts name the data controller from the profile and are signed by the device key: both checked up front. */
function receiptOptions(dataDir: string, profilePath: string | undefined) {
  if (!profilePath) {
    throw new KioskFailure('invalid_request', 'Receipts name the data controller from the provisioning profile: add --profile <file> or set KIOSK_PROFILE.');
  }
  return { profile: loadProfile(profilePath), signer: openReceiptSigner(dataDir), issuedAt: new Date() };
}

export function addExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'JSON Lines: a header with the device keys, every signed event (or a signed receipt per consent), the API statement, a signed head; refuses a broken ledger',
    )
    .option('--data <dir>', 'kiosk data directory')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'receipts']).default('jsonl'))
    .option('--no-personal-data', 'leave out phone numbers and customer references')
    .option('--out <file>', 'write to a file (mode 0600) instead of stdout')
    .option('--profile <file>', 'with --format receipts: the provisioning profile naming the data controller (default $KIOSK_PROFILE)')
    .option('--allow-broken', 'export a ledger that verify calls broken, with the break recorded in the export')
    .action(async (options: ExportOptions) => {
      const dataDir = resolveDataDir(options.data);
      const { reader, canDecrypt } = openForInspection(dataDir);
      try {
        if (options.personalData && !canDecrypt) {
          throw new KioskFailure(
            'forbidden',
            'The personal data in this ledger is sealed by the kiosk\'s OS keychain and cannot be read here; add --no-personal-data.',
          );
        }
        const receipts = options.format === 'receipts' ? receiptOptions(dataDir, options.profile ?? process.env.KIOSK_PROFILE) : null;
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
        const out = options.out ? fs.createWriteStream(options.out, { mode: 0o600 }) : process.stdout;
        await writeLines(receipts ? receiptRecords(records, receipts) : records, out);
        if (out !== process.stdout) {
          out.end();
          await once(out, 'finish');
        }
      } finally {
        reader.close();
      }
    });
}
