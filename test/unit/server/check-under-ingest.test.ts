import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../../server/store/sqlite/open-database.ts';
import { KioskError } from '../../../shared/contract/errors.ts';
import type { TestKiosk } from './test-kiosk.ts';
import { startWithEnrolledKiosk, type TestServer } from './test-server.ts';
import { STORE } from './test-store.ts';

let api: TestServer;
let kiosk: TestKiosk;
let credential: string;

beforeEach(async () => ({ api, kiosk, credential } = await startWithEnrolledKiosk()));
afterEach(() => api.stop());

/** Another client of the API's database, outside the API: a migration, a backup, an operator's session. */
async function otherSession(): Promise<{ run: (sql: string, params?: unknown[]) => Promise<void>; close: () => Promise<void> }> {
  if (STORE === 'postgres') {
    const client = new pg.Client({ connectionString: api.databaseUrl });
    await client.connect();
    return { run: async (sql, params) => void (await client.query(sql, params)), close: () => client.end() };
  }
  const db = new Database(join(api.dataDir, DATABASE_FILE));
  return { run: async (sql, params = []) => void db.prepare(sql).run(...params), close: async () => void db.close() };
}

const ingest = (items: unknown[]) => api.post('/v1/ingest', { events: items }, credential);

describe(`consent checks while ingest waits on the database (${STORE})`, () => {
  it('answers a consent check at once while batches wait for the database to let them write', async () => {
    const items = kiosk.events(3, { phone: '+819012340001' });
    await api.ingest(credential, items.slice(0, 1));
    const other = await otherSession();
    try {
      // SQLite: the one write lock held (the writer waits in its busy handler); PostgreSQL: the device's row locked,
      // with more batches waiting on it than the API keeps connections
      await other.run(STORE === 'postgres' ? 'BEGIN' : 'BEGIN IMMEDIATE');
      if (STORE === 'postgres') await other.run('SELECT 1 FROM devices WHERE id = $1 FOR UPDATE', [kiosk.deviceId]);
      const waiting = Array.from({ length: STORE === 'postgres' ? 12 : 1 }, () => ingest(items.slice(1)));
      await new Promise((resolve) => setTimeout(resolve, 300));

      const asked = performance.now();
      const answer = await api.check('+819012340001', 'balance-alerts');
      const tookMs = performance.now() - asked;
      await other.run('COMMIT');

      expect(answer.allowed).toBe(true);
      expect(tookMs).toBeLessThan(1_000);
      const answers = await Promise.all(waiting);
      expect(answers.map((response) => response.status)).toEqual(waiting.map(() => 200));
    } finally {
      await other.close();
    }
  });

  it('answers 503 and stores nothing when the database refuses a batch, then takes the same batch once it can', async () => {
    const items = kiosk.events(2, { phone: '+819012340002' });
    const other = await otherSession();
    try {
      await other.run('ALTER TABLE event_times RENAME TO event_times_away');
      const refused = await ingest(items);
      expect(refused.status).toBe(503);
      expect(KioskError.parse(await refused.json())).toMatchObject({ code: 'storage_unavailable', message: expect.stringMatching(/nothing was stored/) });
      expect(api.logs.some((line) => line.startsWith('store: '))).toBe(true);
      expect(await api.server.store.db.value<number>('SELECT COUNT(*) FROM events')).toBe(0);

      await other.run('ALTER TABLE event_times_away RENAME TO event_times');
      const { results } = await api.ingest(credential, items);
      expect(results.map((result) => result.status)).toEqual(['accepted', 'accepted']);
    } finally {
      await other.close();
    }
  });
});
