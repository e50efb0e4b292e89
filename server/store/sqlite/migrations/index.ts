import type { Migration } from '../migrate.ts';
import { initial } from './0001-initial.ts';
import { chainEvents } from './0002-chain-events.ts';
import { registry } from './0003-registry.ts';
import { whatsapp } from './0004-whatsapp.ts';
import { personalData } from './0005-personal-data.ts';
import { consentState } from './0006-consent-state.ts';
import { consoleTables } from './0007-console.ts';
import { serviceEvents } from './0008-service-events.ts';
import { remoteProfiles } from './0009-remote-profiles.ts';

/** In order; a new schema change is a new numbered file appended here, never an edit to an applied one. */
export const migrations: readonly Migration[] = [initial, chainEvents, registry, whatsapp, personalData, consentState, consoleTables, serviceEvents, remoteProfiles];
