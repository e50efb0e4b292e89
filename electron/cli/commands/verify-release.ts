import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { KioskFailure } from '../../../shared/contract/errors.ts';
import { checkReleaseArtefact } from '../release-manifest.ts';
import { EXIT_BROKEN } from './verify.ts';

/** Without --manifest: the one release manifest beside the artefact. */
function manifestBeside(artefact: string): string {
  const dir = path.dirname(path.resolve(artefact));
  const manifests = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.manifest')) : [];
  if (manifests.length !== 1) {
    throw new KioskFailure(
      'invalid_request',
      `${manifests.length === 0 ? 'No' : 'More than one'} release manifest (*.manifest) beside ${artefact}; name it with --manifest.`,
    );
  }
  return path.join(dir, manifests[0]!);
}

export function addVerifyReleaseCommand(program: Command): void {
  program
    .command('verify-release')
    .description('check an installer against the signed release manifest before installing it; exit 0 when genuine, 2 refused')
    .argument('<artefact>', 'the installer, e.g. consent-kiosk-chromium_0.1.0_amd64.deb')
    .requiredOption('--key <file>', "the organisation's published release public key (PEM), never one that came with the download")
    .option('--manifest <file>', 'the release manifest (default: the one *.manifest beside the artefact)')
    .action((artefact: string, options: { key: string; manifest?: string }) => {
      const check = checkReleaseArtefact(artefact, options.manifest ?? manifestBeside(artefact), options.key);
      if (!check.verified) {
        console.error(`Refused: ${check.reason}`);
        process.exitCode = EXIT_BROKEN;
        return;
      }
      const { manifest } = check;
      console.log(
        `Verified: ${check.name} (SHA-256 ${check.sha256.slice(0, 16)}…) is in the release manifest of consent kiosk ${manifest.version}, signed with key ${manifest.keyFingerprint}.`,
      );
      if (manifest.signingKey === 'development') {
        console.log('Warning: this release is signed with a DEVELOPMENT release key; install it on test terminals only.');
      }
    });
}
