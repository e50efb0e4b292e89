import type { Profile } from '../shared/contract/profile.ts';

/**
 * Whether the screen shows what only a technician or a demonstration needs (the sync line): a customer at a bank's
 * ATM has no use for "3 records waiting to sync", and would take it for a fault. A profile that names an example
 * host application (hostIntegration.demoHost, development only) is a demonstration; technician mode can show
 * them too.
 */
export function showsServiceDetails(profile: Profile): boolean {
  return profile.hostIntegration.demoHost !== undefined;
}
