import crypto from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot, stageAppTree } from './app-tree.ts';
import { runTool } from './run-tool.ts';
import { thirdPartyLicences } from './third-party-licences.ts';

export const PACKAGE = 'consent-kiosk-chromium';
/** The app's root on the terminal; it mirrors the checkout's layout (out/, node_modules/). */
export const APP_DIR = 'usr/lib/consent-kiosk';
const MAINTAINER = 'Consent kiosk operations <kiosk-operations@example.com>';

/** What the package installs besides the app tree: [source in the checkout, path in the package]. */
const SYSTEM_FILES: Array<[string, string]> = [
  ['build/linux/consent-kiosk-chromium.service', `lib/systemd/system/${PACKAGE}.service`],
  ['build/linux/kiosk.env', 'etc/consent-kiosk/kiosk.env'],
  ['profiles/demo.signed.json', 'etc/consent-kiosk/profile.json'],
  // the DEVELOPMENT key, marked as such: a technician installs the organisation's own (docs/profiles.md)
  ['profiles/development-provisioning-key.pub.pem', 'etc/consent-kiosk/provisioning-key.pem'],
  ['build/linux/consent-kiosk.pam', 'etc/pam.d/consent-kiosk'],
  ['build/linux/consent-kiosk.sysusers', 'usr/lib/sysusers.d/consent-kiosk.conf'],
  ['build/linux/consent-kiosk.tmpfiles', 'usr/lib/tmpfiles.d/consent-kiosk.conf'],
  ['build/linux/with-enrolment-token', `${APP_DIR}/bin/with-enrolment-token`],
  ['build/release/debian/kioskctl', `${APP_DIR}/bin/kioskctl`],
  ['build/release/debian/copyright', `usr/share/doc/${PACKAGE}/copyright`],
  ['build/release/debian/README.Debian', `usr/share/doc/${PACKAGE}/README.Debian`],
];
/** Settings a technician edits: dpkg keeps their changes on upgrade (the enrolment token is no package file). */
const CONFFILES = ['/etc/consent-kiosk/kiosk.env', '/etc/consent-kiosk/profile.json', '/etc/consent-kiosk/provisioning-key.pem', '/etc/pam.d/consent-kiosk'];
const MAINTAINER_SCRIPTS = ['postinst', 'prerm', 'postrm'];

/** An npm pre-release sorts before its release in Debian too: 0.2.0-rc.1 becomes 0.2.0~rc.1. */
export function debianVersion(npmVersion: string): string {
  return npmVersion.replace('-', '~');
}

/** The last commit's time, so that rebuilding the same commit gives the same timestamps (reproducible builds). */
function sourceDateEpoch(): string {
  try {
    return runTool('git', ['log', '-1', '--format=%ct'], { cwd: repoRoot }).trim();
  } catch {
    return String(Math.floor(Date.now() / 1000));
  }
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? [full, ...walk(full)] : [full];
  });
}

/** Debian's modes: directories and programs 0755, everything else (shared objects too) 0644. */
function normaliseModes(root: string): void {
  for (const entry of walk(root)) {
    const stat = fs.lstatSync(entry);
    if (stat.isSymbolicLink()) continue;
    const program = stat.isDirectory() || ((stat.mode & 0o100) !== 0 && !entry.endsWith('.node'));
    fs.chmodSync(entry, program ? 0o755 : 0o644);
  }
}

function changelog(version: string, epoch: string): string {
  const date = new Date(Number(epoch) * 1000).toUTCString().replace('GMT', '+0000');
  return `consent-kiosk (${version}) stable; urgency=medium\n\n  * Release ${version} of the consent kiosk.\n\n -- ${MAINTAINER}  ${date}\n`;
}

export type DebianPackage = { file: string; sqliteVersion: string };

/**
 * Builds the Debian package of the Chromium-shell kiosk with Debian's own tools: the tree is staged as
 * debian/<package>/ of a throwaway source directory, dpkg-shlibdeps works out the shared libraries the Node
 * runtime and better-sqlite3 need, dpkg-gencontrol writes the control file, dpkg-deb builds the archive.
 */
export async function buildDebianPackage({ outDir, version }: { outDir: string; version: string }): Promise<DebianPackage> {
  const work = fs.mkdtempSync(path.join(tmpdir(), 'kiosk-deb-'));
  try {
    const debian = path.join(work, 'debian');
    const root = path.join(debian, PACKAGE);
    const appDir = path.join(root, APP_DIR);
    const epoch = sourceDateEpoch();
    const env = { ...process.env, SOURCE_DATE_EPOCH: epoch };
    const debVersion = debianVersion(version);

    const app = await stageAppTree(appDir, version);
    for (const [from, to] of SYSTEM_FILES) {
      fs.mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, from), path.join(root, to));
    }
    fs.mkdirSync(path.join(root, 'usr', 'bin'), { recursive: true });
    fs.symlinkSync(`../lib/consent-kiosk/bin/kioskctl`, path.join(root, 'usr', 'bin', 'kioskctl'));
    const doc = path.join(root, 'usr', 'share', 'doc', PACKAGE);
    fs.writeFileSync(path.join(doc, 'third-party-licences.txt'), thirdPartyLicences(app.inputs));
    fs.copyFileSync(path.join(repoRoot, 'build', 'release', 'debian', 'control'), path.join(debian, 'control'));
    fs.writeFileSync(path.join(debian, 'changelog'), changelog(debVersion, epoch));
    fs.writeFileSync(path.join(doc, 'changelog.Debian.gz'), gzipSync(fs.readFileSync(path.join(debian, 'changelog')), { level: 9 }));
    normaliseModes(root);

    const control = path.join(root, 'DEBIAN');
    fs.mkdirSync(control);
    const substvars = path.join(debian, `${PACKAGE}.substvars`);
    runTool('dpkg-shlibdeps', [`-T${substvars}`, app.node, path.join(appDir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')], { cwd: work, env });
    const md5sums = walk(root)
      .filter((file) => !file.startsWith(control) && fs.lstatSync(file).isFile())
      .map((file) => `/${path.relative(root, file)}`)
      .filter((file) => !CONFFILES.includes(file))
      .map((file) => `${crypto.createHash('md5').update(fs.readFileSync(path.join(root, file))).digest('hex')}  ${file.slice(1)}\n`);
    fs.writeFileSync(path.join(control, 'md5sums'), md5sums.join(''), { mode: 0o644 });
    fs.writeFileSync(path.join(control, 'conffiles'), CONFFILES.map((file) => `${file}\n`).join(''), { mode: 0o644 });
    for (const script of MAINTAINER_SCRIPTS) {
      fs.copyFileSync(path.join(repoRoot, 'build', 'release', 'debian', script), path.join(control, script));
      fs.chmodSync(path.join(control, script), 0o755);
    }
    runTool('dpkg-gencontrol', [`-p${PACKAGE}`, `-P${root}`, `-T${substvars}`], { cwd: work, env });

    const arch = runTool('dpkg-architecture', ['-qDEB_HOST_ARCH'], { env }).trim();
    const file = path.join(outDir, `${PACKAGE}_${debVersion}_${arch}.deb`);
    fs.mkdirSync(outDir, { recursive: true });
    // zstd: a tenth of the time of xz for a package this size (most of it the Node runtime), a few MB larger;
    // dpkg reads it since 1.21.18 (Debian 12).
    runTool('dpkg-deb', ['--root-owner-group', '-Zzstd', '-z9', '--build', root, file], { env });
    return { file, sqliteVersion: app.sqliteVersion };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
