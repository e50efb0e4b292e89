import { Command, CommanderError } from 'commander';
import { KioskFailure } from '../../shared/contract/errors.ts';
import { asStorageFailure } from '../ledger/storage-errors.ts';
import { addExportCommand } from './commands/export.ts';
import { addProfileCommand } from './commands/profile.ts';
import { addRotateKeyCommand } from './commands/rotate-key.ts';
import { addStatusCommand } from './commands/status.ts';
import { addTechnicianCommand } from './commands/technician.ts';
import { addVerifyCommand } from './commands/verify.ts';
import { addVerifyReleaseCommand } from './commands/verify-release.ts';

/** The technician's and auditor's tool: every failure is one sentence on stderr and a non-zero exit, never a trace. */
async function runKioskctl(argv: string[]): Promise<number> {
  const program = new Command('kioskctl')
    .description('Inspect, verify and export a consent kiosk ledger; rotate its device key; verify a release before installing it; sign and check provisioning profiles.')
    .exitOverride()
    .showHelpAfterError();
  addVerifyCommand(program);
  addExportCommand(program);
  addStatusCommand(program);
  addRotateKeyCommand(program);
  addVerifyReleaseCommand(program);
  addProfileCommand(program);
  addTechnicianCommand(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const failure = asStorageFailure(error);
    const message = failure instanceof KioskFailure ? failure.message : `unexpected error: ${(failure as Error).message ?? String(failure)}`;
    console.error(`kioskctl: ${message.split('\n')[0]}`);
    return 1;
  }
}

// A reader that stops early (`kioskctl export | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

process.exitCode = await runKioskctl(process.argv.slice(2));
