import canonicalize from 'canonicalize';
import type { ConsentEventBody, SubjectOpening } from './contract/consent-event.ts';

/**
 * RFC 8785 canonical JSON. Encoded as UTF-8, for an event body these are the bytes that are both signed (Ed25519)
 * and hashed (SHA-256, the chain link); for a subject opening, the bytes its commitment hashes.
 */
export function canonicalJson(value: ConsentEventBody | SubjectOpening): string {
  const json = canonicalize(value);
  if (json === undefined) throw new TypeError('value cannot be canonicalised');
  return json;
}
