import { readFileSync } from 'node:fs';
import { Profile, type Business } from '../../shared/contract/profile.ts';
import { KioskFailure, parseOrFail } from '../../shared/contract/errors.ts';
import { profileContent } from '../../shared/contract/signed-profile.ts';
import { checkCoverage } from '../../shared/signed-profile-check.ts';

/**
 * Reads a provisioning profile, plain (the provisioning desk's source) or signed (the profile inside, its signature
 * NOT checked: tools such as `kioskctl export --format receipts` read the data controller from it; a terminal only
 * ever loads a profile through the guard of electron/profile/), and checks what the schema alone cannot. Any problem
 * is one sentence naming the file and the first bad field.
 */
export function loadProfile(path: string): Profile {
  const profile = parseOrFail(Profile, profileContent(readProfileJson(path)), `profile ${path}`);
  checkCoverage(profile, path);
  return profile;
}

/** A profile file's JSON, or one sentence saying why there is none. */
export function readProfileJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : 'it cannot be read';
    throw new KioskFailure('not_found', `The profile ${path} cannot be loaded: ${reason}.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new KioskFailure('invalid_request', `The profile ${path} is not valid JSON.`);
  }
}

/** The businesses a profile collects consent for, each once: what the central API must know. */
export function profileBusinesses(profile: Profile): Business[] {
  return [...new Map(profile.flows.map((flow) => [flow.business.id, flow.business])).values()];
}
