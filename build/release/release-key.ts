import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { keyFingerprint, type SigningKeyKind } from '../../electron/cli/release-manifest.ts';

export type ReleaseKey = {
  kind: SigningKeyKind;
  privateKey: KeyObject;
  publicKey: KeyObject;
  fingerprint: string;
  /** Where it came from, for the build's output: a variable's name or a path, never the key. */
  source: string;
};

export const DEVELOPMENT_KEY_FILE = 'development-release-key.pem';
const DEVELOPMENT_MARK = '# DEVELOPMENT release key of the consent kiosk';

/** A release key problem: one sentence, and never the key itself. */
export class ReleaseKeyError extends Error {}

function ed25519PrivateKey(pem: string | Buffer, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = crypto.createPrivateKey(pem);
  } catch {
    throw new ReleaseKeyError(`${source} does not hold a private key in PEM (PKCS#8).`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ReleaseKeyError(`${source} holds an ${key.asymmetricKeyType} key; the release key is Ed25519.`);
  return key;
}

function releaseKey(kind: SigningKeyKind, privateKey: KeyObject, source: string): ReleaseKey {
  const publicKey = crypto.createPublicKey(privateKey);
  return { kind, privateKey, publicKey, fingerprint: keyFingerprint(publicKey), source };
}

/**
 * The development key of this checkout (created on first use, mode 0600, marked as such in its first lines), so
 * local builds are signed and verifiable, and the manifest says `Signing-Key: development`.
 */
function developmentKey(dir: string): ReleaseKey {
  const file = path.join(dir, DEVELOPMENT_KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const header = [
      `${DEVELOPMENT_MARK}, generated ${new Date().toISOString()} on ${hostname()} for local builds.`,
      '# A terminal must never trust it: real releases are signed with the organisation\'s key (docs/release.md).',
    ];
    fs.writeFileSync(file, `${header.join('\n')}\n${privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()}`, { mode: 0o600, flag: 'wx' });
  }
  return releaseKey('development', ed25519PrivateKey(fs.readFileSync(file), file), file);
}

/**
 * The key that signs the release manifest: from the file named by KIOSK_RELEASE_KEY_FILE (mode 0600, like an
 * SSH key), or the PEM in KIOSK_RELEASE_KEY (a CI secret) — never from a command line — else the development key
 * kept in `devKeyDir`.
 */
export function loadReleaseKey(env: NodeJS.ProcessEnv, devKeyDir: string): ReleaseKey {
  const file = env.KIOSK_RELEASE_KEY_FILE;
  const inline = env.KIOSK_RELEASE_KEY;
  if (file && inline) throw new ReleaseKeyError('Both KIOSK_RELEASE_KEY_FILE and KIOSK_RELEASE_KEY are set; set one.');
  if (file) {
    if (!fs.existsSync(file)) throw new ReleaseKeyError(`KIOSK_RELEASE_KEY_FILE names ${file}, which does not exist.`);
    if ((fs.statSync(file).mode & 0o077) !== 0) {
      throw new ReleaseKeyError(`The release key ${file} is readable by other users; make it mode 0600.`);
    }
    return releaseKey('release', ed25519PrivateKey(fs.readFileSync(file), file), file);
  }
  if (inline) return releaseKey('release', ed25519PrivateKey(inline, 'KIOSK_RELEASE_KEY'), 'KIOSK_RELEASE_KEY');
  return developmentKey(devKeyDir);
}

/** The public key to publish beside the release, as PEM; the development one says what it is in its first line. */
export function publicKeyPem(key: ReleaseKey): string {
  const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return key.kind === 'development' ? `${DEVELOPMENT_MARK} (public half): for test terminals only.\n${pem}` : pem;
}
