import type { Migration } from '../migrate.ts';
import { initial } from './0001-initial.ts';

/** In order; a new schema change is a new numbered file appended here, never an edit to an applied one. */
export const migrations: readonly Migration[] = [initial];
