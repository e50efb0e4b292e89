import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ProfilePublicationRequest, PublishedProfile } from '../../shared/contract/console.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';
import { checkSignedProfile } from '../../shared/signed-profile-check.ts';
import { ApiFailure } from '../http/api-failure.ts';
import type { Store } from '../store/store.ts';
import { approvedNotices } from './approved-notices.ts';

/** The organisation's provisioning key as the API holds it: the public half its terminals pin. */
export type ProvisioningKey = { publicKey: KeyObject; fingerprint: string };

/** `SHA256:` and the hex SHA-256 of the raw Ed25519 public key: how a signed profile names its key. */
export function readProvisioningKey(file: string): ProvisioningKey {
  const publicKey = createPublicKey(readFileSync(file, 'utf8'));
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error(`the provisioning key ${file} is not an Ed25519 public key`);
  return { publicKey, fingerprint: `SHA256:${createHash('sha256').update(Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url')).digest('hex')}` };
}

/** What the kiosk reports as its profile's content hash: SHA-256 (hex) of the canonical JSON of the signed statement. */
export const profileContentHash = (signed: unknown): string => createHash('sha256').update(canonicalJson(signed)).digest('hex');

/**
 * Publishing trusts nothing it is given: the profile is checked exactly as a terminal checks it (shared/signed-
 * profile-check.ts) against the key this API is configured with — unsigned, other key, changed, expired or invalid
 * is refused with the same one sentence a terminal would say — and the store refuses a revision that is not above
 * what each target already has. Devices named must be enrolled here. What it publishes, a lying API cannot improve:
 * every terminal checks the profile again against its own pinned key.
 */
export function createProfilePublisher(store: Store, key: ProvisioningKey | null, now: () => Date) {
  return async (request: ProfilePublicationRequest, by: string): Promise<PublishedProfile[]> => {
    if (!key) {
      throw new ApiFailure('forbidden', 'This API has no provisioning key configured (provisioningKeyFile), so it publishes no profile.');
    }
    const verified = checkSignedProfile(
      request.profile,
      { fingerprint: key.fingerprint, verify: (message, sig) => verify(null, Buffer.from(message), key.publicKey, Buffer.from(sig, 'base64url')), holder: 'this API' },
      now(),
      'offered for publication',
    );
    for (const target of request.targets) {
      if (target.kind === 'device' && !(await store.devices.exists(target.id))) {
        throw new ApiFailure('not_found', `No device ${target.id} is enrolled with this API; nothing was published.`);
      }
    }
    return store.profiles.publish({ verified, contentHash: profileContentHash(verified.signed.signed), notices: approvedNotices(verified.profile), targets: request.targets, by });
  };
}

export type ProfilePublisher = ReturnType<typeof createProfilePublisher>;
