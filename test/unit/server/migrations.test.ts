import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceKeys, SubjectStateResponse } from '../../../shared/contract/sync.ts';
import { loadDataKey } from '../../../server/keys/data-key.ts';
import { migrate } from '../../../server/store/migrate.ts';
import { migrations } from '../../../server/store/migrations/index.ts';
import { DATABASE_FILE, prepareDataDir } from '../../../server/store/open-database.ts';
import type { DeviceRow } from '../../../server/store/device-health.ts';
import { SAKURA_BANK, TestKiosk } from './test-kiosk.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-server.ts';

const PHONE = '+819055501234';
const LATEST = migrations.at(-1)!.version;

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
  db.pragma('journal_mode = WAL');
  migrate(db, migrations.filter((m) => m.version <= version), { clockToleranceMs: 60_000, dataKey: loadDataKey({ dataDir }) });
  return { dataDir, db };
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

describe('database migrations', () => {
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

  it('migrates what version 1 stored: events keep their bytes and get bounded times, numbers are sealed, a stop still applies', async () => {
    const { dataDir, db } = databaseAt(1);
    const { kiosk, eventIds } = fillVersion1(db);
    db.close();
    api = await startTestServer({ dataDir, now: () => new Date('2026-03-01T00:00:00.000Z') });

    const state = SubjectStateResponse.parse(await (await api.post('/v1/subjects/state', { businessId: SAKURA_BANK.id, phone: PHONE }, ADMIN_TOKEN)).json());
    // the claimed offset (+1 h) is dropped; the times are the wall clock's, inside enrolment and receipt
    expect(state.decisions.filter((d) => d.source === 'kiosk').map((d) => [d.eventId, d.effectiveAt, d.timeQuality])).toEqual([
      [eventIds[0], '2026-02-01T10:00:00.000Z', 'unbounded'],
      [eventIds[1], '2026-02-01T10:00:01.000Z', 'unbounded'],
    ]);
    expect(state.purposes.find((p) => p.purposeId === 'offers')).toMatchObject({ state: 'opted_out', source: 'whatsapp' });
    expect(await api.check(PHONE, 'balance-alerts')).toMatchObject({ allowed: true });

    const keys = DeviceKeys.parse(await (await api.get(`/v1/devices/${kiosk.deviceId}/keys`)).json()).keys;
    expect(keys.map((k) => [k.fromSeq, k.toSeq])).toEqual([[1, 2], [3, null]]);
    const { devices } = (await (await api.get('/v1/admin/devices', ADMIN_TOKEN)).json()) as { devices: DeviceRow[] };
    expect(devices[0]!.chain).toMatchObject({ contiguousSeq: 3, highestSeq: 3, missing: [] });

    // while it runs, as a copy of the data directory would find it: the clear rows are overwritten, not left behind
    const onDisk = Buffer.concat(readdirSync(dataDir).map((name) => readFileSync(join(dataDir, name))));
    for (const number of [PHONE, '+819066600000', '+819066600399']) expect([number, onDisk.includes(Buffer.from(number.slice(1)))]).toEqual([number, false]);
  });
});
