import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceKeys, SubjectStateResponse } from '../../../shared/contract/sync.ts';
import { loadDataKey } from '../../../server/keys/data-key.ts';
import { migrate } from '../../../server/store/sqlite/migrate.ts';
import { migrations } from '../../../server/store/sqlite/migrations/index.ts';
import { postgresMigrations } from '../../../server/store/postgres/migrations/index.ts';
import { DATABASE_FILE, prepareDataDir } from '../../../server/store/sqlite/open-database.ts';
import type { DeviceRow } from '../../../server/store/device-health.ts';
import { startServer } from '../../../server/start-server.ts';
import { MAIN_DATABASE_CHECKS, MAIN_DATABASE_PHONES } from '../../fixtures/main-database/answers.ts';
import { userPreferencesWebhook } from '../../fixtures/whatsapp-webhooks.ts';
import { SAKURA_BANK, TestClock, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, TEST_BUSINESSES, WEBHOOK_APP_SECRET, startTestServer, type TestServer } from './test-server.ts';
import { STORE, asSuperuser, freshStore } from './test-store.ts';

const PHONE = '+819055501234';
const LATEST = migrations.at(-1)!.version;
const MAIN_DATABASE = new URL('../../fixtures/main-database/', import.meta.url).pathname;

const dirs: string[] = [];
let api: TestServer | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A data directory whose database stands at `version`, as that version of the server left it. */
function databaseAt(version: number): { dataDir: string; db: Database.Database } {
  const dataDir = mkdtempSync(join(tmpdir(), `consent-api-v${version}-`));
  dirs.push(dataDir);
  prepareDataDir(dataDir);
  const db = new Database(join(dataDir, DATABASE_FILE));
  // as every version of the server opens it
  db.pragma('journal_mode = WAL');
  db.pragma('secure_delete = ON');
  migrateTo(db, dataDir, version);
  return { dataDir, db };
}

function migrateTo(db: Database.Database, dataDir: string, version: number): void {
  migrate(db, migrations.filter((m) => m.version <= version), { clockToleranceMs: 60_000, dataKey: loadDataKey({ dataDir }) });
}

/** What version 1 of the server stored for one kiosk: two keys (it re-enrolled with a new one), three events, a number, a stop. */
function fillVersion1(db: Database.Database): { kiosk: TestKiosk; eventIds: string[] } {
  const lookupKey = randomBytes(32);
  const phoneKey = (phone: string) => createHmac('sha256', lookupKey).update(phone).digest('hex');
  db.prepare(`INSERT INTO meta (key, value) VALUES ('phone_lookup_key', ?)`).run(lookupKey.toString('base64url'));
  const kiosk = new TestKiosk();
  const firstKey = { keyId: kiosk.keyId, publicKey: kiosk.publicKey };
  const items = [kiosk.legacyEvent({ kind: 'opt_in', phone: PHONE, capturedAt: new Date('2026-02-01T10:00:00.000Z') })];
  items.push(kiosk.legacyEvent({ kind: 'opt_in', phone: PHONE, purpose: { id: 'offers', category: 'marketing' }, capturedAt: new Date('2026-02-01T10:00:01.000Z') }));
  kiosk.swapKey();
  items.push(kiosk.legacyEvent({ kind: 'opt_in', phone: '+819055509999', capturedAt: new Date('2026-02-02T10:00:00.000Z') }));
  db.prepare(`INSERT INTO devices (id, credential_hash, key_id, app_version, enrolled_at, clock_offset_ms, last_ingest_at) VALUES (?, ?, ?, '0.9.0', ?, 3600000, ?)`).run(
    kiosk.deviceId, 'c'.repeat(64), kiosk.keyId, '2026-01-15T00:00:00.000Z', '2026-02-03T00:00:00.000Z');
  const insertKey = db.prepare('INSERT INTO device_keys (key_id, device_id, public_key, enrolled_at) VALUES (?, ?, ?, ?)');
  insertKey.run(firstKey.keyId, kiosk.deviceId, firstKey.publicKey, '2026-01-10T00:00:00.000Z');
  insertKey.run(kiosk.keyId, kiosk.deviceId, kiosk.publicKey, '2026-01-15T00:00:00.000Z');
  for (const { event, subject } of items) {
    const { sig, ...body } = event as typeof event & { kind: string; purpose: { id: string; category: string }; subject: { commitment: string }; capturedAt: string };
    db.prepare(`INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 3600000, ?, ?, ?, ?)`).run(
      body.id, kiosk.deviceId, body.seq, body.prev, createHmac('sha256', 'x').update(body.id).digest('hex'), body.device.keyId, body.kind,
      body.subject.commitment, body.purpose.id, body.purpose.category, body.capturedAt, Date.parse(body.capturedAt) + 3_600_000,
      '2026-02-03T00:00:00.000Z', JSON.stringify(body), sig,
    );
    db.prepare('INSERT OR IGNORE INTO subjects VALUES (?, ?, ?, ?, ?)').run(body.subject.commitment, subject!.phone, subject!.customerRef ?? null, subject!.salt, phoneKey(subject!.phone));
  }
  db.prepare(`INSERT INTO whatsapp_preferences VALUES (?, ?, 'stop', ?, 'user_preferences', '2026-02-05T00:00:00.000Z')`).run(
    phoneKey(PHONE), PHONE, Date.parse('2026-02-04T00:00:00.000Z'));
  // openings of events already erased on the server's side of the chain, enough to fill pages the migration frees
  for (let i = 0; i < 400; i++) {
    const phone = `+8190666${String(i).padStart(5, '0')}`;
    db.prepare('INSERT INTO subjects VALUES (?, ?, NULL, ?, ?)').run(createHmac('sha256', 'y').update(phone).digest('hex'), phone, 'A'.repeat(22), phoneKey(phone));
  }
  return { kiosk, eventIds: items.map((item) => item.event.id) };
}

describe.runIf(STORE === 'sqlite')('SQLite migrations', () => {
  it.each(migrations.filter((m) => m.version < LATEST).map((m) => m.version))('brings an empty database at version %i to the schema a fresh one has', async (version) => {
    const { dataDir, db } = databaseAt(version);
    db.close();
    api = await startTestServer({ dataDir });
    const fresh = databaseAt(LATEST).db;
    const schemaOf = (database: Database.Database) => database.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
    const migrated = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    try {
      expect(migrated.pragma('user_version', { simple: true })).toBe(LATEST);
      expect(schemaOf(migrated)).toEqual(schemaOf(fresh));
    } finally {
      migrated.close();
      fresh.close();
    }
  });

  it.each(migrations.filter((m) => m.version < LATEST).map((m) => m.version))(
    'migrates what version 1 stored, carried to version %i: events keep their bytes and get bounded times, numbers are sealed, a stop still applies',
    async (version) => {
      const { dataDir, db } = databaseAt(1);
      const { kiosk, eventIds } = fillVersion1(db);
      migrateTo(db, dataDir, version);
      db.close();
      api = await startTestServer({ dataDir, now: () => new Date('2026-03-01T00:00:00.000Z') });

      const state = SubjectStateResponse.parse(await (await api.post('/v1/subjects/state', { businessId: SAKURA_BANK.id, phone: PHONE }, ADMIN_TOKEN)).json());
      // the claimed offset (+1 h) is dropped; the times are the wall clock's, inside enrolment and receipt
      expect(state.decisions.filter((d) => d.source === 'kiosk').map((d) => [d.eventId, d.effectiveAt, d.timeQuality])).toEqual([
        [eventIds[0], '2026-02-01T10:00:00.000Z', 'unbounded'],
        [eventIds[1], '2026-02-01T10:00:01.000Z', 'unbounded'],
      ]);
      expect(state.purposes.find((p) => p.purposeId === 'offers')).toMatchObject({ state: 'opted_out', source: 'whatsapp' });
      expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ allowed: true, state: 'opted_in' });
      expect(await api.check(PHONE, 'offers')).toMatchObject({ allowed: false, state: 'opted_out' });
      expect(await api.check('+819055509999', 'balance-alerts')).toMatchObject({ allowed: true, state: 'opted_in' });
      expect(await api.check('+819066600000', 'balance-alerts')).toMatchObject({ allowed: false, state: 'unknown' });

      const keys = DeviceKeys.parse(await (await api.get(`/v1/devices/${kiosk.deviceId}/keys`)).json()).keys;
      expect(keys.map((k) => [k.fromSeq, k.toSeq])).toEqual([[1, 2], [3, null]]);
      const { devices } = (await (await api.get('/v1/admin/devices', ADMIN_TOKEN)).json()) as { devices: DeviceRow[] };
      expect(devices[0]!.chain).toMatchObject({ contiguousSeq: 3, highestSeq: 3, missing: [] });

      // while it runs, as a copy of the data directory would find it: the clear rows are overwritten, not left behind
      const onDisk = Buffer.concat(readdirSync(dataDir).map((name) => readFileSync(join(dataDir, name))));
      for (const number of [PHONE, '+819066600000', '+819066600399']) expect([number, onDisk.includes(Buffer.from(number.slice(1)))]).toEqual([number, false]);
    },
  );

  it("opens a database the main branch's server made (version 5) and answers every check, state and chain as that server did", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'consent-api-main-'));
    dirs.push(dataDir);
    for (const name of [DATABASE_FILE, 'data.key', 'statement-key.pem']) {
      copyFileSync(join(MAIN_DATABASE, name), join(dataDir, name));
      chmodSync(join(dataDir, name), 0o600);
    }
    const made = JSON.parse(readFileSync(join(MAIN_DATABASE, 'answers.json'), 'utf8')) as { deviceId: string; answers: Record<string, unknown> };
    api = await startTestServer({ dataDir });

    const answers: Record<string, unknown> = {};
    for (const [phone, purposeId] of MAIN_DATABASE_CHECKS) answers[`${phone} ${purposeId}`] = await (await api.post('/v1/consent/check', { businessId: SAKURA_BANK.id, phone, purposeId }, ADMIN_TOKEN)).json();
    for (const phone of MAIN_DATABASE_PHONES) answers[`${phone} state`] = await (await api.post('/v1/subjects/state', { businessId: SAKURA_BANK.id, phone }, ADMIN_TOKEN)).json();
    answers.devices = ((await (await api.get('/v1/admin/devices', ADMIN_TOKEN)).json()) as { devices: DeviceRow[] }).devices.map((device) => device.chain);
    answers.keys = await (await api.get(`/v1/devices/${made.deviceId}/keys`)).json();
    expect(answers).toEqual(made.answers);
    // what it holds is not nothing: an opt-in, an opt-out, a WhatsApp stop, a rotation
    expect(Object.values(made.answers).map((answer) => (answer as { state?: string }).state)).toEqual(expect.arrayContaining(['opted_in', 'opted_out', 'unknown']));
    const migrated = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(LATEST);
    migrated.close();
  });
});

const OFFERS = { id: 'offers', category: 'marketing' } as const;

/** A statement key and a data key in files 0600, as an operator hands them to every instance. */
function sharedKeyFiles(): { dir: string; files: { statementKeyFile: string; dataKeyFile: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'consent-api-keys-'));
  dirs.push(dir);
  const files = { statementKeyFile: join(dir, 'statement.pem'), dataKeyFile: join(dir, 'data.key') };
  writeFileSync(files.statementKeyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(files.dataKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  return { dir, files };
}

/** What a number's checks answer, and what its history resolves to, for the purposes these tests record. */
async function answersFor(server: TestServer, phone: string) {
  const state = SubjectStateResponse.parse(await (await server.post('/v1/subjects/state', { businessId: SAKURA_BANK.id, phone }, ADMIN_TOKEN)).json());
  const checks = await Promise.all(['balance-alerts', 'offers'].map((purpose) => server.check(phone, purpose)));
  return { checks, purposes: state.purposes };
}

describe.runIf(STORE === 'sqlite')('the consent state table (SQLite migration 6)', () => {
  it('is filled from the history a version 5 database holds, answering every check as that history does', async () => {
    const clock = new TestClock();
    api = await startTestServer({ now: clock.date });
    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    const other = '+819055509999';
    await api.ingest(credential, [await kiosk.observe(api.server.url, credential)]);
    clock.advance(60_000);
    await api.ingest(credential, [
      kiosk.event({ kind: 'opt_in', phone: PHONE }),
      kiosk.event({ kind: 'opt_in', phone: PHONE, purpose: OFFERS }),
      kiosk.event({ kind: 'opt_in', phone: other }),
    ]);
    clock.advance(60_000);
    await api.ingest(credential, [kiosk.event({ kind: 'opt_out', phone: other })]);
    const raw = JSON.stringify(userPreferencesWebhook(PHONE, 'stop', Math.floor(clock.nowMs / 1000)));
    const signature = `sha256=${createHmac('sha256', WEBHOOK_APP_SECRET).update(raw).digest('hex')}`;
    const delivered = await fetch(`${api.server.url}/v1/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: raw });
    expect(delivered.status).toBe(200);
    const before = { phone: await answersFor(api, PHONE), other: await answersFor(api, other) };
    expect(before.phone.checks.map((c) => c.state)).toEqual(['opted_in', 'opted_out']);
    expect(before.other.checks.map((c) => c.state)).toEqual(['opted_out', 'unknown']);

    // the same history as version 5 held it: no state tables (nor the console's of version 7, nor remote profiles' of 9)
    const { dataDir } = api;
    await api.server.close();
    const db = new Database(join(dataDir, DATABASE_FILE));
    db.exec('DROP TABLE console_sessions; DROP TABLE console_accounts; DROP TABLE console_actions;');
    db.exec(`DROP TABLE approved_notices; DROP TABLE notice_flags; DROP TABLE profile_publications;
      ALTER TABLE heartbeats DROP COLUMN profile_revision; ALTER TABLE heartbeats DROP COLUMN profile_hash; ALTER TABLE enrolment_tokens DROP COLUMN expires_at;`);
    db.exec('DROP TABLE consent_state; DROP TABLE preference_state; PRAGMA user_version = 5;');
    db.close();
    api.server = await startServer({ dataDir, port: 0, adminToken: ADMIN_TOKEN, webhookAppSecret: WEBHOOK_APP_SECRET, businesses: TEST_BUSINESSES, now: clock.date, log: () => {} });
    expect({ phone: await answersFor(api, PHONE), other: await answersFor(api, other) }).toEqual(before);
  });
});

describe.runIf(STORE === 'postgres')('PostgreSQL migrations', () => {
  const LATEST_POSTGRES = postgresMigrations.at(-1)!.version;
  const schemaOf = (url: string) =>
    asSuperuser(async (client) => {
      const schema = new URL(url).searchParams.get('options')!.replace('-c search_path=', '');
      const columns = await client.query<{ table: string; column: string }>(
        `SELECT table_name AS table, column_name AS column FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, column_name`,
        [schema],
      );
      // the indexes created as such, not those behind a primary key or unique constraint (SQLite's have no sql either)
      const indexes = await client.query<{ name: string }>(
        `SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname`,
        [schema],
      );
      const versions = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      return { columns: columns.rows, indexes: indexes.rows.map((row) => row.name), versions: versions.rows.map((row) => row.version) };
    });

  it("brings an empty database to its latest version, whose tables, columns and indexes are SQLite's latest", async () => {
    api = await startTestServer();
    const postgres = await schemaOf(api.databaseUrl!);
    expect(postgres.versions).toEqual(postgresMigrations.map((m) => m.version));
    const { db } = databaseAt(LATEST);
    const sqliteColumns = (db.prepare(`SELECT m.name AS "table", p.name AS "column" FROM sqlite_schema m JOIN pragma_table_xinfo(m.name) p
      WHERE m.type = 'table' ORDER BY m.name, p.name`).all() as { table: string; column: string }[]);
    const sqliteIndexes = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).pluck().all();
    db.close();
    // what PostgreSQL has beyond: its own version table, and the identity column standing for SQLite's rowid
    const own = (c: { table: string; column: string }) => c.table !== 'schema_migrations' && !(c.table === 'events' && c.column === 'rowid');
    expect(postgres.columns.filter(own)).toEqual(sqliteColumns);
    expect(postgres.indexes).toEqual(sqliteIndexes);
  });

  it("takes a technician's service events on a version 2 database once migrated, keeping the chain it held (PostgreSQL migration 3)", async () => {
    const clock = new TestClock();
    api = await startTestServer({ now: clock.date });
    const kiosk = new TestKiosk({ clock });
    const credential = await api.enrol(kiosk);
    await api.ingest(credential, [await kiosk.observe(api.server.url, credential), kiosk.event({ kind: 'opt_in', phone: PHONE }), kiosk.event({ kind: 'opt_out', phone: PHONE, purpose: OFFERS })]);
    const before = await answersFor(api, PHONE);
    expect(before.checks.map((c) => c.state)).toEqual(['opted_in', 'opted_out']);

    // the same chain as version 2 held it: no service type among the events'
    await api.server.close();
    const schema = new URL(api.databaseUrl!).searchParams.get('options')!.replace('-c search_path=', '');
    await asSuperuser(async (client) => {
      await client.query(`ALTER TABLE ${schema}.events DROP CONSTRAINT events_type_check`);
      await client.query(`ALTER TABLE ${schema}.events ADD CONSTRAINT events_type_check CHECK (type IN ('consent', 'clock_observation', 'key_rotation'))`);
      // nor remote profiles' tables and columns (migration 4)
      await client.query(`DROP TABLE ${schema}.approved_notices, ${schema}.notice_flags, ${schema}.profile_publications`);
      await client.query(`DROP FUNCTION ${schema}.profile_publications_append_only`);
      await client.query(`ALTER TABLE ${schema}.heartbeats DROP COLUMN profile_revision, DROP COLUMN profile_hash`);
      await client.query(`ALTER TABLE ${schema}.enrolment_tokens DROP COLUMN expires_at`);
      await client.query(`DELETE FROM ${schema}.schema_migrations WHERE version > 2`);
    });
    api.server = await startServer({ dataDir: api.dataDir, databaseUrl: api.databaseUrl, port: 0, adminToken: ADMIN_TOKEN, businesses: TEST_BUSINESSES, now: clock.date, log: () => {} });
    expect(await schemaOf(api.databaseUrl!)).toMatchObject({ versions: postgresMigrations.map((m) => m.version) });
    expect(await answersFor(api, PHONE)).toEqual(before);

    const service = [kiosk.service('session_started'), kiosk.service('test_capture')];
    expect((await api.ingest(credential, service)).results).toEqual(service.map((item) => ({ id: item.event.id, status: 'accepted' })));
    expect(await answersFor(api, PHONE)).toEqual(before);
    const { devices } = (await (await api.get('/v1/admin/devices', ADMIN_TOKEN)).json()) as { devices: DeviceRow[] };
    expect(devices[0]!.chain).toMatchObject({ contiguousSeq: 5, highestSeq: 5, missing: [] });
  });

  it('migrates once when two instances start on an empty database at the same moment', async () => {
    const { databaseUrl } = await freshStore();
    const keys = sharedKeyFiles();
    const started = await Promise.all(
      ['a', 'b'].map((name) => startServer({ dataDir: join(keys.dir, name), databaseUrl, ...keys.files, port: 0, businesses: TEST_BUSINESSES, log: () => {} })),
    );
    try {
      expect(await schemaOf(databaseUrl!)).toMatchObject({ versions: postgresMigrations.map((m) => m.version) });
    } finally {
      for (const server of started) await server.close();
    }
  });

  it('refuses a database newer than the code', async () => {
    const { databaseUrl } = await freshStore();
    const dataDir = mkdtempSync(join(tmpdir(), 'consent-api-'));
    dirs.push(dataDir);
    await (await startServer({ dataDir, databaseUrl, port: 0, log: () => {} })).close();
    const schema = new URL(databaseUrl!).searchParams.get('options')!.replace('-c search_path=', '');
    await asSuperuser((client) => client.query(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES ($1, 'future', 'x')`, [LATEST_POSTGRES + 1]));
    await expect(startServer({ dataDir, databaseUrl, port: 0, log: () => {} })).rejects.toThrow(`database schema version ${LATEST_POSTGRES + 1} is newer than this server (${LATEST_POSTGRES}); refusing to start`);
  });
});
