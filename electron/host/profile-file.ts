import { readFileSync } from 'node:fs';
import { Profile, type Business } from '../../shared/contract/profile.ts';
import { KioskFailure, parseOrFail } from '../../shared/contract/errors.ts';

/**
 * Reads a provisioning profile and checks what the schema alone cannot: that every flow can be shown in every
 * language the terminal offers. Any problem is one sentence naming the file and the first bad field.
 */
export function loadProfile(path: string): Profile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : 'it cannot be read';
    throw new KioskFailure('not_found', `The profile ${path} cannot be loaded: ${reason}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KioskFailure('invalid_request', `The profile ${path} is not valid JSON.`);
  }
  const profile = parseOrFail(Profile, json, `profile ${path}`);
  checkCoverage(profile, path);
  return profile;
}

function checkCoverage(profile: Profile, path: string): void {
  const bad = (message: string) => new KioskFailure('invalid_request', `Invalid profile ${path}: ${message}`);
  if (!profile.locales.includes(profile.defaultLocale)) {
    throw bad(`defaultLocale "${profile.defaultLocale}" is not one of its locales.`);
  }
  const flowIds = new Set<string>();
  for (const flow of profile.flows) {
    if (flowIds.has(flow.id)) throw bad(`flow "${flow.id}" is defined twice.`);
    flowIds.add(flow.id);
    for (const locale of profile.locales) {
      if (!flow.notices.some((notice) => notice.locale === locale)) {
        throw bad(`flow "${flow.id}" has no consent notice in "${locale}".`);
      }
      const unlabelled = flow.purposes.find((purpose) => !purpose.label[locale]);
      if (unlabelled) throw bad(`purpose "${unlabelled.id}" of flow "${flow.id}" has no label in "${locale}".`);
    }
  }
}

/** The businesses a profile collects consent for, each once: what the central API must know. */
export function profileBusinesses(profile: Profile): Business[] {
  return [...new Map(profile.flows.map((flow) => [flow.business.id, flow.business])).values()];
}
