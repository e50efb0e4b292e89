import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { KioskFailure } from '../../../shared/contract/errors.ts';
import { openFileKeyVault, plaintextSealer } from '../../ledger/file-key-vault.ts';
import { readVaultPublicKey } from '../../ledger/key-vault.ts';
import { RotationReason } from '../../ledger/key-rotation.ts';
import { openLedger } from '../../ledger/ledger.ts';
import { ledgerPath } from '../../ledger/open-database.ts';
import { requireDataDir, resolveDataDir } from '../data-dir.ts';

/**
 * The technician's key rotation: the ledger records a key_rotation event signed by the current key, then signs with
 * the next one; the sync worker sends it to the central API before anything the new key signs. Only with the
 * development file vault (a keychain-sealed vault opens only inside the Electron app), and never beside a running
 * kiosk: the ledger is opened exclusively.
 */
export function addRotateKeyCommand(program: Command): void {
  program
    .command('rotate-key')
    .description('switch the device to its next signing key, recorded in the chain as a key rotation (stop the kiosk first)')
    .option('--data <dir>', 'kiosk data directory')
    .addOption(new Option('--reason <reason>', 'why the key is rotated').choices(RotationReason.options).default('technician'))
    .action((options: { data?: string; reason: string }) => {
      const dataDir = resolveDataDir(options.data);
      requireDataDir(dataDir);
      if (!fs.existsSync(ledgerPath(dataDir))) throw new KioskFailure('not_found', `There is no ledger in ${dataDir}.`);
      const sealer = readVaultPublicKey(dataDir)?.sealer;
      if (sealer !== plaintextSealer.name) {
        throw new KioskFailure(
          'forbidden',
          `The device keys are sealed by "${sealer ?? 'nothing'}", which only the kiosk app can open; kioskctl rotates keys of the development file vault only.`,
        );
      }
      let ledger;
      try {
        ledger = openLedger({ dataDir, vault: openFileKeyVault(dataDir, { warn: () => undefined }), exclusive: true });
      } catch (error) {
        if (error instanceof KioskFailure && error.code === 'storage_unavailable') {
          throw new KioskFailure('storage_unavailable', 'The ledger is open in another process (is the kiosk running?); stop the kiosk, then rotate its key.');
        }
        throw error;
      }
      try {
        const rotated = ledger.rotateKey(options.reason);
        console.log(`Key rotated at seq ${rotated.seq}: key ${rotated.previousKeyId} retired, now signing with key ${rotated.keyId}.`);
      } finally {
        ledger.close();
      }
    });
}
