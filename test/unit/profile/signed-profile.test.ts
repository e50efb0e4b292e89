import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHost } from '../../../electron/host/host.ts';
import { openProfileGuard } from '../../../electron/profile/profile-in-force.ts';
import { readPinnedKey, readSigningKey, generateProvisioningKey } from '../../../electron/profile/provisioning-key.ts';
import { Profile } from '../../../shared/contract/profile.ts';
import {
  demoProfile,
  demoSignedProfilePath,
  developmentPinPath,
  signedForTest,
  writeSignedProfile,
} from '../../fixtures/signed-profile.ts';

const pin = () => readPinnedKey(developmentPinPath);

/** A data directory whose last good profile is revision 3 of the demo, and a file to offer next. */
function terminalWithRevision3() {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-profile-'));
  const dataDir = path.join(dir, 'data');
  const profilePath = path.join(dir, 'profile.json');
  writeSignedProfile(profilePath, demoProfile(), { revision: 3 });
  const guard = openProfileGuard({ profilePath, dataDir, pin: pin() });
  expect(guard.describe()).toMatchObject({ revision: 3, refused: null });
  return { dir, dataDir, profilePath };
}

function otherKey(dir: string) {
  generateProvisioningKey(path.join(dir, 'other.pem'), path.join(dir, 'other.pub.pem'));
  return readSigningKey(path.join(dir, 'other.pem'));
}

/** Offers `content` at start, as a technician's replaced file would be, and returns what the terminal made of it. */
function restartWith({ dataDir, profilePath }: { dataDir: string; profilePath: string }, content: string) {
  writeFileSync(profilePath, content);
  return openProfileGuard({ profilePath, dataDir, pin: pin() });
}

const renamed = () => {
  const profile = demoProfile();
  profile.flows[0]!.business.name = 'Sakura Bank (changed)';
  return profile;
};

describe('a signed provisioning profile', () => {
  const cases: Array<[string, (dir: string) => string, RegExp]> = [
    ['unsigned', () => JSON.stringify(renamed()), /is not signed: this terminal loads only profiles signed with the organisation's provisioning key/],
    [
      'tampered',
      () => {
        const signed = signedForTest(demoProfile(), { revision: 4 });
        (signed.signed.profile as Profile).flows[0]!.business.name = 'Sakura Bank (changed)';
        return JSON.stringify(signed);
      },
      /was changed after it was signed: its signature does not verify\./,
    ],
    [
      'expired',
      () => JSON.stringify(signedForTest(renamed(), { revision: 4, issuedAt: new Date(Date.now() - 10_000), expiresAt: new Date(Date.now() - 1_000) })),
      /\(revision 4\) expired at .*; load a newer signed profile\./,
    ],
    ['rolled back', () => JSON.stringify(signedForTest(renamed(), { revision: 2 })), /is revision 2, older than revision 3 in force: a terminal never goes back to an older profile\./],
    [
      'signed by another key',
      (dir) => JSON.stringify(signedForTest(renamed(), { revision: 4, key: otherKey(dir) })),
      /is signed by key SHA256:[0-9a-f]{64}, not by the provisioning key this terminal trusts \(SHA256:[0-9a-f]{64}\)\./,
    ],
    ['the same revision with other content', () => JSON.stringify(signedForTest(renamed(), { revision: 3 })), /claims revision 3, which is in force with other content/],
    ['not JSON', () => '{ not json', /is not valid JSON\./],
  ];
  for (const [what, content, sentence] of cases) {
    it(`is refused when ${what}, with a sentence for the technician, and the last good profile stays in force`, () => {
      const terminal = terminalWithRevision3();
      const guard = restartWith(terminal, content(terminal.dir));
      expect(guard.describe()).toMatchObject({ revision: 3, version: demoProfile().version });
      expect(guard.current().profile.flows[0]!.business.name).toBe(demoProfile().flows[0]!.business.name);
      expect(guard.describe().refused).toMatch(sentence);
      expect(guard.describe().refused).toMatch(/ The last good profile, revision 3, stays in force\.$/);
    });
  }

  it('replaces the profile in force with a higher revision, which is then the floor', () => {
    const terminal = terminalWithRevision3();
    const guard = restartWith(terminal, JSON.stringify(signedForTest(renamed(), { revision: 4 })));
    expect(guard.describe()).toMatchObject({ revision: 4, refused: null });
    expect(guard.current().profile.flows[0]!.business.name).toBe('Sakura Bank (changed)');
    // the file it replaced is refused from now on
    const again = restartWith(terminal, JSON.stringify(signedForTest(demoProfile(), { revision: 3 })));
    expect(again.describe()).toMatchObject({ revision: 4, refused: expect.stringMatching(/older than revision 4/) });
  });

  it('keeps a kiosk from starting when a refused profile has no last good one to fall back on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-profile-'));
    const profilePath = path.join(dir, 'profile.json');
    writeFileSync(profilePath, JSON.stringify(demoProfile()));
    await expect(createHost({ dataDir: path.join(dir, 'data'), profilePath, profileKeyPath: developmentPinPath, log: () => {} })).rejects.toThrow(
      /^The profile .*profile\.json is not signed/,
    );
  });

  it('runs the kiosk on the last good profile after a refused one, and says why on its diagnostics', async () => {
    const terminal = terminalWithRevision3();
    writeFileSync(terminal.profilePath, JSON.stringify(signedForTest(renamed(), { revision: 2 })));
    const host = await createHost({ dataDir: terminal.dataDir, profilePath: terminal.profilePath, profileKeyPath: developmentPinPath, log: () => {} });
    try {
      expect(host.profile.flows[0]!.business.name).toBe(demoProfile().flows[0]!.business.name);
      expect(host.profileGuard.describe()).toMatchObject({ revision: 3, developmentKey: true, refused: expect.stringMatching(/older than revision 3/) });
    } finally {
      await host.close();
    }
  });

  it('ships the demo profile signed with the development key, and up to date with profiles/demo.json', () => {
    const signed = JSON.parse(readFileSync(demoSignedProfilePath, 'utf8')) as { signed: { profile: unknown } };
    // After editing profiles/demo.json: npm run profiles:sign-demo
    expect(Profile.parse(signed.signed.profile)).toEqual(Profile.parse(demoProfile()));
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-profile-'));
    const guard = openProfileGuard({ profilePath: demoSignedProfilePath, dataDir: dir, pin: pin() });
    expect(guard.describe()).toMatchObject({ id: 'demo', developmentKey: true, refused: null });
    expect(readFileSync(developmentPinPath, 'utf8')).toMatch(/^# DEVELOPMENT provisioning key/);
  });
});

describe('kioskctl profile', () => {
  // A bounded wait: one such child once hung in tsx's loader for good (no esbuild service left), holding the suite.
  const kioskctl = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'electron/cli/kioskctl.ts', 'profile', ...args], { encoding: 'utf8', timeout: 60_000 });

  it('makes a key pair whose private half only its owner reads and never prints, signs with it, and verifies as a terminal would', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kioskctl-profile-'));
    const key = path.join(dir, 'provisioning.pem');
    const pub = path.join(dir, 'provisioning.pub.pem');
    const keygen = kioskctl('keygen', '--key', key, '--public', pub);
    expect(keygen.status).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const privatePem = readFileSync(key, 'utf8');
    expect(keygen.stdout + keygen.stderr).not.toContain(privatePem.split('\n')[1]);
    expect(kioskctl('keygen', '--key', key, '--public', pub).stderr).toMatch(/already exists; a key is never overwritten\./);

    const signedFile = path.join(dir, 'signed.json');
    const sign = kioskctl('sign', 'profiles/demo.json', '--key', key, '--revision', '7', '--out', signedFile);
    expect(sign.status).toBe(0);
    const verify = kioskctl('verify', signedFile, '--public', pub);
    expect(verify.stdout).toMatch(/^Profile demo version .*, revision 7: signed by SHA256:[0-9a-f]{64}, valid until /);
    expect(verify.status).toBe(0);

    const tampered = readFileSync(signedFile, 'utf8').replace('Sakura Bank', 'Sakura Bamk');
    writeFileSync(signedFile, tampered);
    const refused = kioskctl('verify', signedFile, '--public', pub);
    expect(refused.stderr.trim()).toMatch(/^Refused: The profile .* was changed after it was signed: its signature does not verify\.$/);
    expect(refused.status).toBe(2);
    expect(kioskctl('verify', 'profiles/demo.signed.json', '--public', pub).stderr).toMatch(/not by the provisioning key this terminal trusts/);
  });

  it('refuses a private key other users can read', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kioskctl-profile-'));
    const key = path.join(dir, 'provisioning.pem');
    kioskctl('keygen', '--key', key, '--public', path.join(dir, 'p.pub.pem'));
    spawnSync('chmod', ['0644', key]);
    const sign = kioskctl('sign', 'profiles/demo.json', '--key', key, '--revision', '1');
    expect(sign.stderr.trim()).toBe(`kioskctl: The provisioning key ${key} is readable by other users; make it mode 0600.`);
    expect(sign.stdout).toBe('');
  });
});
