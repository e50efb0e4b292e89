import type { PostgresMigration } from '../migrate.ts';
import { schema } from './0001-schema.ts';
import { consoleTables } from './0002-console.ts';
import { serviceEvents } from './0003-service-events.ts';
import { remoteProfiles } from './0004-remote-profiles.ts';

/** PostgreSQL's own numbering, from its version 1 (SQLite's 6): a schema change appends a file to both sets. */
export const postgresMigrations: readonly PostgresMigration[] = [schema, consoleTables, serviceEvents, remoteProfiles];
