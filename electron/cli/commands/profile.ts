import fs from 'node:fs';
import type { Command } from 'commander';
import { KioskFailure } from '../../../shared/contract/errors.ts';
import { loadProfile, readProfileJson } from '../../host/profile-file.ts';
import { signProfile, verifySignedProfile } from '../../profile/profile-signature.ts';
import { generateProvisioningKey, readPinnedKey, readSigningKey } from '../../profile/provisioning-key.ts';
import { EXIT_BROKEN } from './verify.ts';

const DAY_MS = 86_400_000;

function positiveInteger(what: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < 1) throw new KioskFailure('invalid_request', `${what} must be a whole number from 1.`);
    return number;
  };
}

/**
 * The provisioning desk's tools. The private key is only ever a file (0600), never an argument or an output: keygen
 * writes it and prints its fingerprint; sign reads it and prints the signed profile, which holds nothing secret.
 */
export function addProfileCommand(program: Command): void {
  const profile = program.command('profile').description('make the provisioning key, sign provisioning profiles, check a signed profile');
  profile
    .command('keygen')
    .description('make a new provisioning key pair: the private key file (mode 0600) and the public key terminals pin')
    .requiredOption('--key <file>', 'where to write the private key (never overwritten)')
    .requiredOption('--public <file>', 'where to write the public key, to install on terminals as their pinned key')
    .action((options: { key: string; public: string }) => {
      const fingerprint = generateProvisioningKey(options.key, options.public);
      console.log(`Provisioning key ${fingerprint}: private key in ${options.key} (mode 0600), public key in ${options.public}.`);
    });
  profile
    .command('sign')
    .description('sign a provisioning profile; the signed profile goes to --out, or to stdout')
    .argument('<profile>', 'the profile (JSON) to sign')
    .requiredOption('--key <file>', 'the provisioning private key (mode 0600)')
    .requiredOption('--revision <n>', 'the revision, higher than every one signed before for these terminals', positiveInteger('--revision'))
    .option('--valid-days <n>', 'days a terminal may load it', positiveInteger('--valid-days'), 365)
    .option('--out <file>', 'where to write the signed profile')
    .action((file: string, options: { key: string; revision: number; validDays: number; out?: string }) => {
      const key = readSigningKey(options.key);
      const now = new Date();
      const signed = signProfile(loadProfile(file), key, { revision: options.revision, issuedAt: now, expiresAt: new Date(now.getTime() + options.validDays * DAY_MS) });
      const text = `${JSON.stringify(signed, null, 2)}\n`;
      if (options.out) {
        fs.writeFileSync(options.out, text);
        console.error(`Signed revision ${options.revision} with ${key.fingerprint}${key.development ? ' (the DEVELOPMENT key)' : ''}, valid until ${signed.signed.expiresAt}.`);
      } else {
        process.stdout.write(text);
      }
    });
  profile
    .command('verify')
    .description('check a signed profile against a pinned public key, as a terminal does; exit 0 when it would load, 2 refused')
    .argument('<profile>', 'the signed profile')
    .requiredOption('--public <file>', 'the provisioning public key the terminals pin')
    .action((file: string, options: { public: string }) => {
      const pin = readPinnedKey(options.public);
      try {
        const verified = verifySignedProfile(readProfileJson(file), pin, new Date(), file);
        const kind = pin.development ? ' (the DEVELOPMENT key: for test terminals only)' : '';
        console.log(
          `Profile ${verified.profile.id} version ${verified.profile.version}, revision ${verified.revision}: signed by ${verified.keyFingerprint}${kind}, valid until ${verified.expiresAt}.`,
        );
      } catch (error) {
        if (!(error instanceof KioskFailure)) throw error;
        console.error(`Refused: ${error.message}`);
        process.exitCode = EXIT_BROKEN;
      }
    });
}
