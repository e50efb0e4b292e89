/**
 * `npm run release [-- --out DIR]`: builds every installer this machine can build, lists each with its SHA-256
 * in a release manifest signed by the release key, and names, one line each, what it could not build and why.
 * The release key comes from KIOSK_RELEASE_KEY_FILE or KIOSK_RELEASE_KEY (never a command line, never printed);
 * without either, this checkout's development key signs, and the manifest says so. See docs/release.md.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { formatManifest, sha256OfFile, signManifest, SIGNATURE_SUFFIX } from '../../electron/cli/release-manifest.ts';
import { repoRoot } from './app-tree.ts';
import { buildDebianPackage } from './debian-package.ts';
import { buildElectronTargets, checkElectronBuilderConfig } from './electron-targets.ts';
import { loadReleaseKey, publicKeyPem, ReleaseKeyError } from './release-key.ts';
import { ReleaseError } from './run-tool.ts';

const DEBIAN_TOOLS = ['dpkg-deb', 'dpkg-shlibdeps', 'dpkg-gencontrol', 'dpkg-architecture', 'strip'];

/** Inside the working directory, relative; elsewhere, absolute. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

function missingTools(tools: string[]): string[] {
  return tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

async function release(outDir: string): Promise<void> {
  const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const key = loadReleaseKey(process.env, path.join(repoRoot, '.release-keys'));
  await checkElectronBuilderConfig();
  fs.mkdirSync(outDir, { recursive: true });
  const built: string[] = [];
  const notBuilt: string[] = [];

  const missing = missingTools(DEBIAN_TOOLS);
  if (missing.length > 0) {
    notBuilt.push(`Debian package of the Chromium shell: ${missing.join(', ')} not installed (apt-get install dpkg-dev binutils)`);
  } else {
    const deb = await buildDebianPackage({ outDir, version });
    console.log(`Built: ${shown(deb.file)} (Chromium shell under cage, Node ${process.versions.node}, SQLite ${deb.sqliteVersion})`);
    built.push(deb.file);
  }
  const electron = await buildElectronTargets(outDir);
  for (const file of electron.built) console.log(`Built: ${shown(file)} (Electron shell)`);
  built.push(...electron.built);
  notBuilt.push(...electron.notBuilt);

  const verifier = path.join(outDir, 'verify-release.sh');
  fs.copyFileSync(path.join(repoRoot, 'build', 'release', 'verify-release.sh'), verifier);
  fs.chmodSync(verifier, 0o755);
  built.push(verifier);

  const text = formatManifest({
    version,
    signingKey: key.kind,
    keyFingerprint: key.fingerprint,
    notBuilt,
    artefacts: built.map((file) => ({ name: path.basename(file), sha256: sha256OfFile(file) })),
  });
  const manifest = path.join(outDir, `consent-kiosk-${version}.manifest`);
  fs.writeFileSync(manifest, text);
  fs.writeFileSync(manifest + SIGNATURE_SUFFIX, signManifest(text, key.privateKey));
  const publicKey = path.join(outDir, key.kind === 'development' ? 'DEVELOPMENT-release-key.pub.pem' : 'release-key.pub.pem');
  fs.writeFileSync(publicKey, publicKeyPem(key));

  for (const line of notBuilt) console.log(`Not built: ${line}`);
  console.log(`Signed: ${shown(manifest)} (+${SIGNATURE_SUFFIX}) lists ${built.length} artefacts with their SHA-256, signed with key ${key.fingerprint} from ${key.source}.`);
  if (key.kind === 'development') {
    console.log(`Warning: signed with this checkout's DEVELOPMENT release key (${shown(publicKey)}): for test terminals only; set KIOSK_RELEASE_KEY_FILE for a real release.`);
  } else {
    console.log(`Public key: ${shown(publicKey)}; publish it (and its fingerprint) where technicians get it, apart from the downloads.`);
  }
}

const program = new Command('release')
  .description('build the installers this machine can build, and sign their manifest')
  .option('--out <dir>', 'where the artefacts go', path.join(repoRoot, 'release'))
  .action(async (options: { out: string }) => release(path.resolve(options.out)));

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof ReleaseError || error instanceof ReleaseKeyError)) throw error;
  console.error(`Release failed: ${error.message}`);
  process.exitCode = 1;
}
