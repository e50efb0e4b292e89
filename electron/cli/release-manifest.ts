import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The release manifest: every artefact of a release with its SHA-256, in a text file signed (Ed25519, detached,
 * `<manifest>.sig`) by the release key. Plain lines, so that `build/release/verify-release.sh` checks it with
 * nothing but sh, sha256sum and openssl, and `sha256sum -c` reads its artefact lines as they are:
 *
 *   Consent kiosk release manifest, format 1
 *   Version: 0.1.0
 *   Signing-Key: release | development
 *   Key-Fingerprint: SHA256:<hex of the SHA-256 of the raw 32-byte public key>
 *   Not-Built: <one line per artefact this build could not make, and why>
 *
 *   <64 hex>  <artefact file name>
 */
export const MANIFEST_FIRST_LINE = 'Consent kiosk release manifest, format 1';
export const SIGNATURE_SUFFIX = '.sig';

export type SigningKeyKind = 'release' | 'development';
export type ManifestEntry = { name: string; sha256: string };
export type ReleaseManifest = {
  version: string;
  signingKey: SigningKeyKind;
  keyFingerprint: string;
  notBuilt: string[];
  artefacts: ManifestEntry[];
};

const ENTRY = /^([0-9a-f]{64}) {2}(.+)$/;

export function formatManifest(manifest: ReleaseManifest): string {
  return [
    MANIFEST_FIRST_LINE,
    `Version: ${manifest.version}`,
    `Signing-Key: ${manifest.signingKey}`,
    `Key-Fingerprint: ${manifest.keyFingerprint}`,
    ...manifest.notBuilt.map((line) => `Not-Built: ${line}`),
    '',
    ...manifest.artefacts.map(({ name, sha256 }) => `${sha256}  ${name}`),
    '',
  ].join('\n');
}

/** Null when the text is not a manifest of this format (what it claims is only believed once its signature is). */
export function parseManifest(text: string): ReleaseManifest | null {
  const lines = text.split('\n');
  if (lines[0] !== MANIFEST_FIRST_LINE) return null;
  const field = (name: string) => lines.filter((line) => line.startsWith(`${name}: `)).map((line) => line.slice(name.length + 2));
  const [version] = field('Version');
  const [signingKey] = field('Signing-Key');
  const [keyFingerprint] = field('Key-Fingerprint');
  if (!version || !keyFingerprint || (signingKey !== 'release' && signingKey !== 'development')) return null;
  const artefacts = lines.flatMap((line) => {
    const match = ENTRY.exec(line);
    return match ? [{ sha256: match[1]!, name: match[2]! }] : [];
  });
  return { version, signingKey, keyFingerprint, notBuilt: field('Not-Built'), artefacts };
}

/** `SHA256:` and the hex SHA-256 of the raw Ed25519 public key: what a release engineer publishes beside the key. */
export function keyFingerprint(publicKey: KeyObject): string {
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return `SHA256:${crypto.createHash('sha256').update(raw).digest('hex')}`;
}

export function sha256OfFile(file: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let read; (read = fs.readSync(fd, chunk)) > 0; ) hash.update(chunk.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export function signManifest(text: string, privateKey: KeyObject): Buffer {
  return crypto.sign(null, Buffer.from(text), privateKey);
}

export type ReleaseCheck =
  | { verified: true; name: string; sha256: string; manifest: ReleaseManifest }
  | { verified: false; reason: string };

function readPublicKey(file: string): KeyObject | null {
  try {
    const key = crypto.createPublicKey(fs.readFileSync(file));
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

/**
 * Checks an artefact before install: the manifest's signature against the release public key the technician was
 * given (never one that came with the download), then the artefact's SHA-256 against its line. Every refusal is
 * one sentence.
 */
export function checkReleaseArtefact(artefact: string, manifestFile: string, publicKeyFile: string): ReleaseCheck {
  const refuse = (reason: string): ReleaseCheck => ({ verified: false, reason });
  const name = path.basename(artefact);
  if (!fs.existsSync(artefact) || !fs.statSync(artefact).isFile()) return refuse(`${artefact} does not exist.`);
  const publicKey = readPublicKey(publicKeyFile);
  if (!publicKey) return refuse(`${publicKeyFile} is not an Ed25519 public key (PEM), so nothing can be checked against it.`);
  if (!fs.existsSync(manifestFile)) return refuse(`${name} is unsigned: there is no release manifest ${manifestFile}.`);
  const signatureFile = manifestFile + SIGNATURE_SUFFIX;
  if (!fs.existsSync(signatureFile)) return refuse(`${name} is unsigned: the release manifest has no signature (${signatureFile} is missing).`);
  const text = fs.readFileSync(manifestFile);
  const manifest = parseManifest(text.toString('utf8'));
  if (!manifest) return refuse(`${manifestFile} is not a consent kiosk release manifest.`);
  const given = keyFingerprint(publicKey);
  if (manifest.keyFingerprint !== given) {
    return refuse(`The release manifest names signing key ${manifest.keyFingerprint}, not the key given (${given}), so ${name} cannot be trusted.`);
  }
  if (!crypto.verify(null, text, publicKey, fs.readFileSync(signatureFile))) {
    return refuse(`The release manifest's signature does not verify with key ${given}: the manifest was changed or signed by another key.`);
  }
  const entry = manifest.artefacts.find((candidate) => candidate.name === name);
  if (!entry) return refuse(`${name} is not listed in the signed release manifest, so it is unsigned.`);
  const sha256 = sha256OfFile(artefact);
  if (sha256 !== entry.sha256) return refuse(`${name} does not match the SHA-256 in the signed release manifest: it was changed after signing.`);
  return { verified: true, name, sha256, manifest };
}
