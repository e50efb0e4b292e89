import type { PostgresMigration } from '../migrate.ts';

/**
 * Service events (a technician's session and actions at a terminal) join the chain events, as SQLite's migration 8
 * does; PostgreSQL changes the CHECK in place. A service event is never a consent: its consent columns stay null,
 * which the table's other CHECK already enforces.
 */
export const serviceEvents: PostgresMigration = {
  version: 3,
  name: 'service events',
  up: async (tx) => {
    await tx.run('ALTER TABLE events DROP CONSTRAINT events_type_check');
    await tx.run(`ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN ('consent', 'clock_observation', 'key_rotation', 'service'))`);
  },
};
