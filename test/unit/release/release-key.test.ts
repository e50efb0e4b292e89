import crypto from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../../electron/cli/release-manifest.ts';
import { DEVELOPMENT_KEY_FILE, loadReleaseKey, publicKeyPem } from '../../../build/release/release-key.ts';

const scratch = () => fs.mkdtempSync(path.join(tmpdir(), 'release-key-'));
const ed25519Pem = () => crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('the release key', () => {
  it('is a development key of this checkout when none is given: made once, mode 0600, marked, and reused', () => {
    const dir = path.join(scratch(), '.release-keys');
    const first = loadReleaseKey({}, dir);
    const file = path.join(dir, DEVELOPMENT_KEY_FILE);
    expect(first.kind).toBe('development');
    expect(first.source).toBe(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^# DEVELOPMENT release key of the consent kiosk, generated .* for local builds\.\n# A terminal must never trust it/);
    expect(publicKeyPem(first)).toMatch(/^# DEVELOPMENT release key of the consent kiosk \(public half\): for test terminals only\.\n-----BEGIN PUBLIC KEY-----/);
    expect(loadReleaseKey({}, dir).fingerprint).toBe(first.fingerprint);
  });

  it('comes from the file KIOSK_RELEASE_KEY_FILE names, which must be readable by its owner only', () => {
    const file = path.join(scratch(), 'release.pem');
    const pem = ed25519Pem();
    fs.writeFileSync(file, pem, { mode: 0o600 });
    const key = loadReleaseKey({ KIOSK_RELEASE_KEY_FILE: file }, scratch());
    expect(key).toMatchObject({ kind: 'release', source: file });
    expect(key.fingerprint).toBe(keyFingerprint(crypto.createPublicKey(pem)));
    expect(publicKeyPem(key)).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    fs.chmodSync(file, 0o640);
    expect(() => loadReleaseKey({ KIOSK_RELEASE_KEY_FILE: file }, scratch())).toThrow(`The release key ${file} is readable by other users; make it mode 0600.`);
  });

  it('comes from KIOSK_RELEASE_KEY (a CI secret), and its refusals never quote the key', () => {
    const pem = ed25519Pem();
    expect(loadReleaseKey({ KIOSK_RELEASE_KEY: pem }, scratch())).toMatchObject({ kind: 'release', source: 'KIOSK_RELEASE_KEY' });

    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadReleaseKey({ KIOSK_RELEASE_KEY: rsa }, scratch())).toThrow('KIOSK_RELEASE_KEY holds an rsa key; the release key is Ed25519.');
    const broken = pem.replace(/[A-Za-z]{8}/, 'AAAAAAAA');
    let said = '';
    try {
      loadReleaseKey({ KIOSK_RELEASE_KEY: broken.slice(0, 60) }, scratch());
    } catch (error) {
      said = (error as Error).message;
    }
    expect(said).toBe('KIOSK_RELEASE_KEY does not hold a private key in PEM (PKCS#8).');
    expect(() => loadReleaseKey({ KIOSK_RELEASE_KEY: pem, KIOSK_RELEASE_KEY_FILE: '/x' }, scratch())).toThrow(
      'Both KIOSK_RELEASE_KEY_FILE and KIOSK_RELEASE_KEY are set; set one.',
    );
  });
});
