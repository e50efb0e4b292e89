import type { PostgresMigration } from '../migrate.ts';
import { schema } from './0001-schema.ts';
import { serviceEvents } from './0002-service-events.ts';

/** PostgreSQL's own numbering, from its version 1 (SQLite's 6): a schema change appends a file to both sets. */
export const postgresMigrations: readonly PostgresMigration[] = [schema, serviceEvents];
