import fs from 'node:fs';
import type { Command } from 'commander';
import { Secret, TOTP } from 'otpauth';
import { KioskFailure } from '../../../shared/contract/errors.ts';
import { Slug } from '../../../shared/contract/primitives.ts';
import { readJsonFile, writeJsonAtomic } from '../../sync/json-file.ts';
import { TechniciansFile } from '../../technician/technician-codes.ts';

/**
 * Provisions a technician on a terminal's technicians file (docs/technician.md). The secret is never printed: the
 * authenticator's otpauth:// URI goes to a new file only its owner reads, to be loaded into the technician's
 * authenticator app and deleted.
 */
export function addTechnicianCommand(program: Command): void {
  program
    .command('technician')
    .description('provision technicians for technician mode')
    .command('add')
    .description('add a technician with a new RFC 6238 secret; the authenticator URI goes to --uri-file (mode 0600)')
    .argument('<id>', 'the technician id recorded in every service event of their sessions')
    .requiredOption('--file <file>', 'the terminal\'s technicians file (KIOSK_TECHNICIANS_FILE), created 0600 if missing')
    .requiredOption('--uri-file <file>', 'where to write the otpauth:// URI for the authenticator (never overwritten)')
    .action((id: string, options: { file: string; uriFile: string }) => {
      if (!Slug.safeParse(id).success) throw new KioskFailure('invalid_request', `"${id}" is not a technician id: lower-case letters, digits and dashes.`);
      if (fs.existsSync(options.uriFile)) throw new KioskFailure('invalid_request', `${options.uriFile} already exists; it is never overwritten.`);
      const existing = fs.existsSync(options.file) ? readJsonFile(options.file, TechniciansFile) : { technicians: [] };
      if (!existing) throw new KioskFailure('invalid_request', `${options.file} is not a technicians file.`);
      if (existing.technicians.some((technician) => technician.id === id)) {
        throw new KioskFailure('invalid_request', `Technician ${id} is already provisioned in ${options.file}.`);
      }
      const secret = new Secret({ size: 20 });
      const uri = new TOTP({ issuer: 'Consent kiosk', label: id, secret, digits: 6, period: 30, algorithm: 'SHA1' }).toString();
      fs.writeFileSync(options.uriFile, `${uri}\n`, { mode: 0o600, flag: 'wx' });
      writeJsonAtomic(options.file, { technicians: [...existing.technicians, { id, secret: secret.base32 }] });
      console.log(`Technician ${id} added to ${options.file}; load ${options.uriFile} into their authenticator, then delete it.`);
    });
}
