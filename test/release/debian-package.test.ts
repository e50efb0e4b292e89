/**
 * The release, with the real tools: `npm run release` builds the Debian package here (dpkg-dev), both verifiers
 * check it, dpkg installs it into a scratch root (maintainer scripts and all), and the kiosk runs from that tree as
 * its unit runs it: without a display (the page over HTTP, syncing to a real consent API) and under cage (headless
 * wlroots, real Chromium on its Wayland display). Built once per run, in beforeAll.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint, parseManifest, sha256OfFile } from '../../electron/cli/release-manifest.ts';
import { NO_DISPLAY_LINE, openBridge, printedLaunchUrl } from '../fixtures/bridge-session.ts';
import { freePort } from '../fixtures/free-port.ts';
import { connectWhenUp, kioskPage } from '../fixtures/kiosk-window.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../unit/server/test-server.ts';
import { ownedDirectory, packageAccount, runUnit, UNIT, type UnitRun } from './installed-kiosk.ts';

const run = promisify(execFile);
type Outcome = { code: number; stdout: string; stderr: string };

async function outcome(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(command, args, { env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const asRoot = process.getuid?.() === 0;
// Made in beforeAll, not while the file is being collected, so a run that selects none of its tests leaves nothing.
// Short, as mkdtemp's names are: Chromium's sockets below it must fit a Unix socket path (108 bytes).
const work = path.join(tmpdir(), `kiosk-release-${crypto.randomBytes(3).toString('hex')}`);
const out = path.join(work, 'release');
const releaseKey = crypto.generateKeyPairSync('ed25519');
const publishedKey = path.join(work, 'published-release-key.pem');
const privatePem = releaseKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const DEB = 'consent-kiosk-chromium_0.1.0_amd64.deb';
const deb = path.join(out, DEB);
const manifest = path.join(out, 'consent-kiosk-0.1.0.manifest');
let built: Outcome;

beforeAll(async () => {
  fs.mkdirSync(work, { mode: 0o755 }); // 0755: the package's user must reach the scratch root below it
  fs.writeFileSync(publishedKey, releaseKey.publicKey.export({ type: 'spki', format: 'pem' }));
  const started = Date.now();
  built = await outcome(process.execPath, ['--import', 'tsx', 'build/release/release.ts', '--out', out], {
    ...process.env,
    KIOSK_RELEASE_KEY: privatePem,
    KIOSK_RELEASE_KEY_FILE: '',
  });
  console.log(`npm run release took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 240_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('npm run release', () => {
  it('builds the Debian package, signs its manifest with the release key, and names what it could not build', () => {
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    const lines = built.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Built: ${deb} (Chromium shell under cage, Node ${process.versions.node}, SQLite ${/SQLite (\S+)\)/.exec(lines[0]!)?.[1]})`);
    for (const target of ['deb', 'AppImage', 'NSIS']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^Not built: electron-builder ${target} \\(Electron shell\\): the Electron binary is not installed here`)));
    }
    const fingerprint = keyFingerprint(releaseKey.publicKey);
    expect(lines).toContain(`Signed: ${manifest} (+.sig) lists 2 artefacts with their SHA-256, signed with key ${fingerprint} from KIOSK_RELEASE_KEY.`);
    // The key is never printed, not even in part.
    const keyBody = privatePem.split('\n')[1]!;
    expect(built.stdout).not.toMatch(/PRIVATE KEY/);
    expect(built.stdout).not.toContain(keyBody.slice(10, 40));

    expect(parseManifest(fs.readFileSync(manifest, 'utf8'))).toEqual({
      version: '0.1.0',
      signingKey: 'release',
      keyFingerprint: fingerprint,
      notBuilt: [expect.stringMatching(/^electron-builder deb /), expect.stringMatching(/^electron-builder AppImage /), expect.stringMatching(/^electron-builder NSIS /)],
      artefacts: [
        { name: DEB, sha256: sha256OfFile(deb) },
        { name: 'verify-release.sh', sha256: sha256OfFile(path.join(out, 'verify-release.sh')) },
      ],
    });
    expect(crypto.verify(null, fs.readFileSync(manifest), releaseKey.publicKey, fs.readFileSync(`${manifest}.sig`))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'release-key.pub.pem'), 'utf8')).toBe(fs.readFileSync(publishedKey, 'utf8'));
  });

  it('is a package dpkg made: it needs cage, Chromium and the libraries of its own runtime, keeps settings as conffiles, and ships no build tools', async () => {
    const fields = (await outcome('dpkg-deb', ['--field', deb, 'Package', 'Version', 'Architecture', 'Depends'])).stdout;
    expect(fields).toMatch(/^Package: consent-kiosk-chromium\nVersion: 0\.1\.0\nArchitecture: amd64\n/);
    const depends = /^Depends: (.*)$/m.exec(fields)![1]!.split(', ').map((dependency) => dependency.split(' ')[0]);
    // The first three are dpkg-shlibdeps' reading of the Node runtime and better_sqlite3.node.
    expect(depends).toEqual(expect.arrayContaining(['libc6', 'libstdc++6', 'libgcc-s1', 'cage', 'xwayland', 'chromium', 'systemd']));
    expect((await outcome('dpkg-deb', ['--info', deb, 'conffiles'])).stdout.trim().split('\n')).toEqual([
      '/etc/consent-kiosk/kiosk.env',
      '/etc/consent-kiosk/profile.json',
      '/etc/consent-kiosk/provisioning-key.pem',
      '/etc/pam.d/consent-kiosk',
    ]);
    const files = (await outcome('dpkg-deb', ['--contents', deb])).stdout.split('\n').map((line) => line.split(/\s+/)[5] ?? '');
    expect(files.filter((file) => /\/(tsx|esbuild|typescript|vite|electron)\/|\.tsx?$|\/src\/|\.map$/.test(file))).toEqual([]);
    const packages = new Set(files.map((file) => /usr\/lib\/consent-kiosk\/node_modules\/([^/]+)\//.exec(file)?.[1]).filter(Boolean));
    expect([...packages].sort()).toEqual(['better-sqlite3', 'bindings', 'file-uri-to-path']);
  });
});

/** One sentence on stderr, nothing on stdout, exit 2. */
function expectRefusal(result: Outcome, sentence: string | RegExp): void {
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(typeof sentence === 'string' ? new RegExp(`^Refused: ${sentence.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : sentence);
  expect(result.code).toBe(2);
}

const verifiers = {
  'kioskctl verify-release': (artefact: string, manifestFile: string, key: string) =>
    outcome(process.execPath, ['bin/kioskctl.js', 'verify-release', artefact, '--manifest', manifestFile, '--key', key]),
  'verify-release.sh': (artefact: string, manifestFile: string, key: string) => outcome('sh', [path.join(out, 'verify-release.sh'), artefact, manifestFile, key]),
};

describe.each(Object.entries(verifiers))('%s, before install', (_name, verify) => {
  /** A copy of the release in a directory of its own, for a tampering test to change. */
  function copyOfRelease(): { dir: string; deb: string; manifest: string } {
    const dir = fs.mkdtempSync(path.join(work, 'copy-'));
    for (const name of [DEB, path.basename(manifest), `${path.basename(manifest)}.sig`]) fs.copyFileSync(path.join(out, name), path.join(dir, name));
    return { dir, deb: path.join(dir, DEB), manifest: path.join(dir, path.basename(manifest)) };
  }
  function changeOneByte(file: string): void {
    const fd = fs.openSync(file, 'r+');
    const at = Math.floor(fs.statSync(file).size / 2);
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, at);
    fs.writeSync(fd, Buffer.from([byte[0]! ^ 0x01]), 0, 1, at);
    fs.closeSync(fd);
  }

  it('accepts the package as released', async () => {
    const result = await verify(deb, manifest, publishedKey);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `Verified: ${DEB} (SHA-256 ${sha256OfFile(deb).slice(0, 16)}…) is in the release manifest of consent kiosk 0.1.0, signed with key ${keyFingerprint(releaseKey.publicKey)}.\n`,
    );
  });

  it('accepts a release signed with a development key, and says it is one', async () => {
    const copy = copyOfRelease();
    const text = fs.readFileSync(copy.manifest, 'utf8').replace('Signing-Key: release', 'Signing-Key: development');
    fs.writeFileSync(copy.manifest, text);
    fs.writeFileSync(`${copy.manifest}.sig`, crypto.sign(null, Buffer.from(text), releaseKey.privateKey));
    const result = await verify(copy.deb, copy.manifest, publishedKey);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[1]).toBe('Warning: this release is signed with a DEVELOPMENT release key; install it on test terminals only.');
  });

  it('refuses a copy with one byte changed', async () => {
    const copy = copyOfRelease();
    changeOneByte(copy.deb);
    expectRefusal(await verify(copy.deb, copy.manifest, publishedKey), `${DEB} does not match the SHA-256 in the signed release manifest: it was changed after signing.`);
  });

  it('refuses the changed copy when the manifest was edited to match it', async () => {
    const copy = copyOfRelease();
    changeOneByte(copy.deb);
    fs.writeFileSync(copy.manifest, fs.readFileSync(copy.manifest, 'utf8').replace(sha256OfFile(deb), sha256OfFile(copy.deb)));
    expectRefusal(
      await verify(copy.deb, copy.manifest, publishedKey),
      `The release manifest's signature does not verify with key ${keyFingerprint(releaseKey.publicKey)}: the manifest was changed or signed by another key.`,
    );
  });

  it('refuses an unsigned release', async () => {
    const copy = copyOfRelease();
    fs.rmSync(`${copy.manifest}.sig`);
    expectRefusal(await verify(copy.deb, copy.manifest, publishedKey), `${DEB} is unsigned: the release manifest has no signature (${copy.manifest}.sig is missing).`);
  });

  it('refuses a release signed by another key, checked against the published one', async () => {
    const copy = copyOfRelease();
    changeOneByte(copy.deb);
    const impostor = crypto.generateKeyPairSync('ed25519');
    const text = fs
      .readFileSync(copy.manifest, 'utf8')
      .replace(sha256OfFile(deb), sha256OfFile(copy.deb))
      .replace(keyFingerprint(releaseKey.publicKey), keyFingerprint(impostor.publicKey));
    fs.writeFileSync(copy.manifest, text);
    fs.writeFileSync(`${copy.manifest}.sig`, crypto.sign(null, Buffer.from(text), impostor.privateKey));
    expectRefusal(
      await verify(copy.deb, copy.manifest, publishedKey),
      `The release manifest names signing key ${keyFingerprint(impostor.publicKey)}, not the key given (${keyFingerprint(releaseKey.publicKey)}), so ${DEB} cannot be trusted.`,
    );
  });

  it('refuses a file the manifest does not list', async () => {
    const copy = copyOfRelease();
    const other = path.join(copy.dir, 'consent-kiosk-chromium_0.1.1_amd64.deb');
    fs.renameSync(copy.deb, other);
    expectRefusal(await verify(other, copy.manifest, publishedKey), 'consent-kiosk-chromium_0.1.1_amd64.deb is not listed in the signed release manifest, so it is unsigned.');
  });
});

describe('installed into a scratch root with dpkg', () => {
  const root = path.join(work, 'root');
  const dpkg = (...args: string[]) =>
    outcome('dpkg', [`--root=${root}`, `--log=${path.join(root, 'var', 'log', 'dpkg.log')}`, '--force-script-chrootless', ...args]);
  let account: { uid: number; gid: number } | null = null;

  beforeAll(async () => {
    for (const dir of ['var/lib/dpkg/updates', 'var/lib/dpkg/info', 'var/log']) fs.mkdirSync(path.join(root, dir), { recursive: true });
    fs.writeFileSync(path.join(root, 'var', 'lib', 'dpkg', 'status'), '');
    if (asRoot) {
      // The dependencies (cage, Chromium, …) are this machine's, not the scratch root's.
      const installed = await dpkg('--force-depends', '--install', deb);
      expect(installed.stdout, installed.stderr).toMatch(/Setting up consent-kiosk-chromium \(0\.1\.0\)/);
      account = packageAccount(root, 'consent-kiosk');
    } else {
      // Without root there are no maintainer scripts to run and no user to become: the files alone.
      await run('dpkg-deb', ['-x', deb, root]);
      fs.mkdirSync(path.join(root, 'var', 'lib', 'consent-kiosk'), { recursive: true, mode: 0o700 });
    }
  }, 60_000);

  it.runIf(asRoot)('makes the kiosk user, its data directory 0700, a root-only token file, and enables the unit', async () => {
    const passwd = fs.readFileSync(path.join(root, 'etc', 'passwd'), 'utf8');
    expect(passwd).toMatch(/^consent-kiosk:x:\d+:\d+:Consent kiosk:\/var\/lib\/consent-kiosk:\/usr\/sbin\/nologin$/m);
    const data = fs.statSync(path.join(root, 'var', 'lib', 'consent-kiosk'));
    expect({ mode: data.mode & 0o777, uid: data.uid, gid: data.gid }).toEqual({ mode: 0o700, ...account });
    const token = fs.statSync(path.join(root, 'etc', 'consent-kiosk', 'enrolment-token'));
    expect({ mode: token.mode & 0o777, uid: token.uid, size: token.size }).toEqual({ mode: 0o600, uid: 0, size: 0 });
    expect(fs.readlinkSync(path.join(root, 'etc', 'systemd', 'system', 'graphical.target.wants', 'consent-kiosk-chromium.service'))).toBe(
      '/lib/systemd/system/consent-kiosk-chromium.service',
    );
    // Every file as shipped (DEBIAN/md5sums).
    expect(await dpkg('--verify', 'consent-kiosk-chromium')).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('lets systemd-analyze verify its unit, as installed, and the Electron shell\'s', async () => {
    for (const unit of [path.join(root, UNIT), path.resolve('build/linux/consent-kiosk.service')]) {
      expect(await outcome('systemd-analyze', ['verify', unit])).toEqual({ code: 0, stdout: '', stderr: '' });
    }
    const unit = fs.readFileSync(path.join(root, UNIT), 'utf8');
    // Restarts are rate-limited, the API URL comes from /etc/consent-kiosk/, and nothing but the packaged host runs.
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^RestartSec=5$/m);
    expect(unit).toMatch(/^StartLimitIntervalSec=600\nStartLimitBurst=5$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/consent-kiosk\/kiosk\.env$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/cage -d -- \/usr\/lib\/consent-kiosk\/bin\/with-enrolment-token \/usr\/lib\/consent-kiosk\/node\/bin\/node \/usr\/lib\/consent-kiosk\/out\/host\/start\.mjs$/m);
    expect(fs.readFileSync(path.join(root, 'etc', 'consent-kiosk', 'kiosk.env'), 'utf8')).toMatch(/^KIOSK_API_URL=$/m);
  });

  describe('the kiosk, run as its unit runs it', () => {
    let api: TestServer;
    let kiosk: UnitRun | undefined;
    const dataDir = path.join(root, 'var', 'lib', 'consent-kiosk');

    beforeAll(async () => {
      api = await startTestServer();
    });
    afterAll(async () => {
      await kiosk?.stop();
      await api.stop();
    });

    /** What systemd would give the unit: its credential directory, a private /tmp, the cache directory. */
    function unitDirectories(name: string) {
      ownedDirectory(path.join(root, 'var', 'cache', 'consent-kiosk'), account);
      return {
        CREDENTIALS_DIRECTORY: ownedDirectory(path.join(work, name, 'credentials'), account),
        TMPDIR: ownedDirectory(path.join(work, name, 'tmp'), account),
      };
    }

    /** The unit's command without cage: no display, so the host writes its launch URL; bridge calls as the page makes them. */
    async function startHeadless(dirs: Record<string, string>) {
      kiosk = runUnit(root, { withCage: false, account, overrides: dirs });
      await expect.poll(kiosk.output, { timeout: 20_000 }).toMatch(NO_DISPLAY_LINE);
      const launchUrl = printedLaunchUrl(kiosk.output());
      const bridge = await openBridge(launchUrl);
      type Answer = { ok: boolean; value: { id?: string; sync?: { state: string; lastSuccessAt: string | null } } };
      const call = (method: string) => bridge<Answer>(method);
      return { launchUrl, call };
    }

    it('serves the kiosk page from the installed tree alone and, with no API configured, never starts the reference API', async () => {
      const { launchUrl, call } = await startHeadless(unitDirectories('as-installed'));
      const page = await fetch(`${launchUrl.origin}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script defer src="\/kiosk-bridge\.js"><\/script>[\s\S]*<div id="root">/);
      expect((await fetch(`${launchUrl.origin}/kiosk-bridge.js`)).status).toBe(200);
      const profile = JSON.parse(fs.readFileSync(path.join(root, 'etc', 'consent-kiosk', 'profile.json'), 'utf8')) as { signed: { profile: { id: string } } };
      expect((await call('getProfile')).value.id).toBe(profile.signed.profile.id);
      expect((await call('getStatus')).value.sync).toMatchObject({ state: 'disabled' });
      // npm start would have started the reference API by now (or said why it could not).
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(kiosk!.output()).not.toMatch(/Consent API \(reference|local consent API|Sync is off/);
      expect(await kiosk!.stop()).toBe(0);
      kiosk = undefined;
    }, 60_000);

    it('enrols with the technician\'s token and syncs to the API named in kiosk.env, reporting the packaged version', async () => {
      const envFile = path.join(root, 'etc', 'consent-kiosk', 'kiosk.env');
      fs.writeFileSync(envFile, fs.readFileSync(envFile, 'utf8').replace(/^KIOSK_API_URL=$/m, `KIOSK_API_URL=${api.server.url}`));
      const dirs = unitDirectories('enrolled');
      const { token } = (await (await api.post('/v1/admin/enrolment-tokens', {}, ADMIN_TOKEN)).json()) as { token: string };
      const tokenFile = path.join(dirs.CREDENTIALS_DIRECTORY, 'enrolment-token');
      fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
      if (account) fs.chownSync(tokenFile, account.uid, account.gid);

      const { call } = await startHeadless(dirs);
      await expect.poll(async () => (await call('getStatus')).value.sync, { timeout: 20_000 }).toMatchObject({ state: 'idle', lastSuccessAt: expect.any(String) });
      const { devices } = (await (await fetch(`${api.server.url}/v1/admin/devices`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
        devices: Array<{ appVersion: string }>;
      };
      expect(devices).toEqual([expect.objectContaining({ appVersion: '0.1.0' })]);
      // The token reached the host through the environment, never its command line.
      expect(fs.readFileSync(`/proc/${kiosk!.child.pid}/cmdline`, 'utf8')).not.toContain(token);

      const status = await outcome(path.join(root, 'usr', 'bin', 'kioskctl'), ['status', '--data', dataDir]);
      // Its first sync records the API's signed clock statement in the chain: the one event, and it is synced.
      expect(status.stdout).toMatch(/^Outbox {10}0 pending, 1 synced, 0 dead$/m);
      expect(status.stdout).toMatch(/^Chain events {4}0 consents, 1 clock observations, 0 key rotations, 0 service events$/m);
      expect(await kiosk!.stop()).toBe(0);
      kiosk = undefined;
    }, 60_000);

    it('is on screen under cage, and after its ledger is damaged the screen says why and the kiosk stays up', async () => {
      const underCage = async (name: string) => {
        const devtools = await freePort();
        const dirs = unitDirectories(name);
        kiosk = runUnit(root, {
          withCage: true,
          account,
          overrides: {
            ...dirs,
            XDG_RUNTIME_DIR: ownedDirectory(path.join(work, name, 'runtime'), account),
            // Headless wlroots: no GPU, screen or input devices here.
            WLR_BACKENDS: 'headless',
            WLR_RENDERER: 'pixman',
            WLR_LIBINPUT_NO_DEVICES: '1',
            KIOSK_CHROMIUM_FLAGS: `--ozone-platform=wayland --remote-debugging-port=${devtools}`,
          },
        });
        // Chromium on a Wayland display takes a while to open its window; DevTools connects once the page is there.
        const kioskPageListed = () =>
          fetch(`http://127.0.0.1:${devtools}/json/list`)
            .then((response) => response.json() as Promise<Array<{ type: string; url: string }>>)
            .then((targets) => targets.some((target) => target.type === 'page' && target.url.startsWith('http://127.0.0.1')))
            .catch(() => false);
        await expect.poll(kioskPageListed, { timeout: 45_000, interval: 250 }).toBe(true);
        const browser = await connectWhenUp(devtools, 15_000);
        return { browser, page: await kioskPage(browser) };
      };

      const first = await underCage('cage');
      await first.page.getByRole('button', { name: 'WhatsAppメッセージの停止', exact: true }).waitFor({ timeout: 30_000 });
      await first.browser.close();
      await kiosk!.stop();

      fs.writeFileSync(path.join(dataDir, 'ledger.sqlite'), Buffer.alloc(8192, 'damaged '));
      for (const suffix of ['-wal', '-shm']) fs.rmSync(path.join(dataDir, `ledger.sqlite${suffix}`), { force: true });
      const second = await underCage('cage-damaged');
      await second.page.getByRole('heading', { name: 'Out of service' }).waitFor({ timeout: 30_000 });
      expect(await second.page.getByRole('alert').textContent()).toBe(
        `The consent ledger ${path.join(dataDir, 'ledger.sqlite')} is damaged or is not a ledger, so this kiosk records nothing until a technician restores or replaces it.`,
      );
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(kiosk!.child.exitCode).toBeNull();
      await second.browser.close();
      await kiosk!.stop();
      kiosk = undefined;
    }, 120_000);
  });

  it.runIf(asRoot)('keeps the ledger when the package is purged, and removes the enrolment token', async () => {
    const dataDir = path.join(root, 'var', 'lib', 'consent-kiosk');
    // The kiosk's runs above left a ledger; run alone, this test puts one there itself.
    const ledger = path.join(dataDir, 'ledger.sqlite');
    if (!fs.existsSync(ledger)) fs.writeFileSync(ledger, 'a ledger');
    const before = fs.readdirSync(dataDir).sort();
    const purged = await dpkg('--purge', 'consent-kiosk-chromium');
    expect(purged.code).toBe(0);
    expect(purged.stderr).toContain('the consent ledger in /var/lib/consent-kiosk is kept; export it (kioskctl export) before deleting it.');
    expect(fs.readdirSync(dataDir).sort()).toEqual(before);
    expect(fs.existsSync(path.join(root, 'etc', 'consent-kiosk', 'enrolment-token'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'usr', 'lib', 'consent-kiosk'))).toBe(false);
  });
});
