import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ExportRecord } from '../../../shared/contract/ledger-export.ts';
import { canonicalJson } from '../../../shared/event-bytes.ts';
import { KNOWN_GOOD_FOR_MS } from '../../../electron/ledger/clock-quality.ts';
import { openFileKeyVault } from '../../../electron/ledger/file-key-vault.ts';
import type { KeyVault } from '../../../electron/ledger/key-vault.ts';
import { openLedger, openLedgerReader, type Ledger, type LedgerReader } from '../../../electron/ledger/ledger.ts';
import { apiStatementKey, consentFor, draft, freshLedger, manualClock, observeClock, pendingConsents, resignEvent, tamper, tempDataDir, terms } from './fixtures.ts';

const open: Array<Ledger | LedgerReader> = [];
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
});

function ledgerWith(clock = manualClock(), dataDir?: string) {
  const made = freshLedger({ clock, ...(dataDir ? { dataDir } : {}) });
  open.push(made.ledger);
  return { ...made, clock };
}

/** As kioskctl reads it: checked against the vault's current key, openings with its data key. */
function openLedgerReaderFor(dataDir: string): LedgerReader {
  const vault = openFileKeyVault(dataDir, { warn: () => undefined });
  const reader = openLedgerReader({ dataDir, dataKey: vault.dataKey(), expectedPublicKey: vault.publicKey });
  open.push(reader);
  return reader;
}

const lastConsent = (ledger: Ledger) => pendingConsents(ledger, 1000).at(-1)!;

describe('the device clock in every event', () => {
  it('keeps the monotonic time rising when the wall clock jumps back between two captures', () => {
    const { ledger, clock } = ledgerWith();
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    clock.advanceMs(5_000);
    clock.stepWallClock(-3_600_000);
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    const [first, second] = pendingConsents(ledger);
    expect(Date.parse(second!.capturedAt)).toBeLessThan(Date.parse(first!.capturedAt));
    expect(second!.clock.monoMs - first!.clock.monoMs).toBe(5_000);
    expect(second!.clock.bootId).toBe(first!.clock.bootId);
    expect(first!.clock.bootId).toBe(clock.bootId);
    expect(ledger.verify()).toMatchObject({ ok: true, events: 2 });
  });

  it('is known-good only after an observation of this boot that found it right', () => {
    const { ledger, clock } = ledgerWith();
    ledger.capture(draft(), terms);
    expect(lastConsent(ledger).clock.knownGood).toBe(false);
    expect(observeClock(ledger, clock, apiStatementKey(), { offsetMs: 300, roundTripMs: 80 })).toMatchObject({ offsetMs: 300, knownGood: true });
    clock.advanceMs(60_000);
    ledger.capture(draft(), terms);
    expect(lastConsent(ledger).clock.knownGood).toBe(true);
  });

  it.each([
    ['the API found it 5 s off', { offsetMs: 5_000 }, () => undefined],
    ['the answer took 5 s to come', { roundTripMs: 5_000 }, () => undefined],
    ['the wall clock was stepped 3 s since', {}, (clock: ReturnType<typeof manualClock>) => clock.stepWallClock(3_000)],
    ['the observation is more than an hour old', {}, (clock: ReturnType<typeof manualClock>) => clock.advanceMs(KNOWN_GOOD_FOR_MS + 1)],
  ])('is not known-good when %s', (_name, measured, after) => {
    const { ledger, clock } = ledgerWith();
    observeClock(ledger, clock, apiStatementKey(), measured);
    after(clock);
    ledger.capture(draft(), terms);
    expect(lastConsent(ledger).clock.knownGood).toBe(false);
  });

  it('is not known-good after a reboot, whatever the last boot observed', () => {
    const { ledger, clock, dataDir } = ledgerWith();
    observeClock(ledger, clock);
    ledger.capture(draft(), terms);
    expect(lastConsent(ledger).clock.knownGood).toBe(true);
    ledger.close();
    open.pop();
    const { ledger: rebooted } = ledgerWith(manualClock(), dataDir);
    rebooted.capture(draft(), terms);
    expect(lastConsent(rebooted).clock.knownGood).toBe(false);
    expect(rebooted.clockObservationAgeMs()).toBeNull();
    expect(rebooted.verify()).toMatchObject({ ok: true, counts: { consent: 4, clock_observation: 1 } });
  });
});

describe('a clock observation', () => {
  it('is signed into the chain after the events it brackets, and is never a consent', () => {
    const { ledger, clock } = ledgerWith();
    ledger.capture(draft(), terms);
    const key = apiStatementKey();
    const observed = observeClock(ledger, clock, key, { offsetMs: -1_200, roundTripMs: 40 });
    expect(observed).toMatchObject({ seq: 3, offsetMs: -1_200, roundTripMs: 40 });
    const [item] = ledger.readOutbox(10, 2);
    expect(item).toMatchObject({ subject: null, event: { v: 2, type: 'clock_observation', seq: 3, statement: { statement: { keyId: key.pinned[0]!.keyId } } } });
    expect(ledger.verify()).toMatchObject({ ok: true, events: 3, counts: { consent: 2, clock_observation: 1, key_rotation: 0 } });
    expect(ledger.eventCounts()).toEqual({ consent: 2, clock_observation: 1, key_rotation: 0, service: 0 });
    expect(ledger.funnelCounts().reduce((sum, count) => sum + count.count, 0)).toBe(2);
    expect(ledger.clockObservationAgeMs()).toBe(0);
    clock.advanceMs(1_000);
    expect(ledger.clockObservationAgeMs()).toBe(1_000);
  });

  it.each([
    ['a statement about another device', (ledger: Ledger) => ({ deviceId: crypto.randomUUID(), sent: ledger.readClock(), received: ledger.readClock() })],
    [
      'readings whose answer came before the request left',
      (ledger: Ledger) => {
        const received = ledger.readClock();
        return { deviceId: ledger.deviceId, sent: { ...received, monoMs: received.monoMs + 10 }, received };
      },
    ],
  ])('refuses %s and writes nothing', (_name, make) => {
    const { ledger } = ledgerWith();
    const { deviceId, sent, received } = make(ledger);
    const statement = apiStatementKey().sign(deviceId, new Date());
    expect(() => ledger.recordClockObservation({ statement, sent, received })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(ledger.eventCounts().clock_observation).toBe(0);
    expect(ledger.status().chainHead).toBeNull();
  });
});

describe('key rotation', () => {
  it('signs the rotation with the current key and everything after with the next, and the chain verifies across it', () => {
    const { ledger, dataDir } = ledgerWith();
    ledger.capture(draft(), terms);
    const first = ledger.keyId;
    const rotated = ledger.rotateKey('scheduled');
    expect(rotated).toMatchObject({ seq: 3, previousKeyId: first });
    expect(ledger.keyId).toBe(rotated.keyId);
    ledger.capture(draft(), terms);
    expect(pendingConsents(ledger).map((event) => [event.seq, event.device.keyId])).toEqual([
      [1, first],
      [2, first],
      [4, rotated.keyId],
      [5, rotated.keyId],
    ]);
    expect(ledger.readOutbox(1, 2)[0]?.event).toMatchObject({ type: 'key_rotation', device: { keyId: first }, next: { keyId: rotated.keyId }, reason: 'scheduled' });
    expect(ledger.keys().map(({ fromSeq, keyId }) => [fromSeq, keyId])).toEqual([
      [1, first],
      [4, rotated.keyId],
    ]);
    expect(ledger.verify()).toMatchObject({ ok: true, events: 5, counts: { consent: 4, key_rotation: 1 } });

    ledger.close();
    open.pop();
    const { ledger: reopened } = ledgerWith(manualClock(), dataDir);
    expect(reopened.keyId).toBe(rotated.keyId);
    expect(reopened.verify()).toMatchObject({ ok: true, events: 5 });
  });

  it('ends an outbox batch at a rotation, so nothing the next key signs travels with it', () => {
    const { ledger } = ledgerWith();
    ledger.capture(draft(), terms);
    ledger.rotateKey('technician');
    ledger.capture(draft(), terms);
    const batch = ledger.readOutboxJson(100);
    expect(batch.map((item) => [item.seq, item.rotation])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(ledger.readOutboxJson(100, 3).map((item) => item.seq)).toEqual([4, 5]);
  });

  it('finishes a rotation the vault could not complete at the next start, and signs nothing in between', () => {
    const dataDir = tempDataDir();
    const real = openFileKeyVault(dataDir, { warn: () => undefined });
    const failing: KeyVault = Object.create(real, { promoteNext: { value: () => { throw new Error('disk gone'); } } });
    const ledger = openLedger({ dataDir, vault: failing, clock: manualClock() });
    ledger.capture(draft(), terms);
    const next = real.next.keyId;
    expect(() => ledger.rotateKey('suspected_compromise')).toThrow(expect.objectContaining({ code: 'storage_unavailable', message: expect.stringMatching(/restart the kiosk/) }));
    expect(() => ledger.capture(draft(), terms)).toThrow(expect.objectContaining({ code: 'storage_unavailable' }));
    ledger.close();

    const { ledger: restarted } = ledgerWith(manualClock(), dataDir);
    expect(restarted.keyId).toBe(next);
    restarted.capture(draft(), terms);
    expect(lastConsent(restarted).device.keyId).toBe(next);
    expect(restarted.verify()).toMatchObject({ ok: true, events: 5 });
  });

  it.each([
    ['a key list naming another key than the rotation did', (key: string, id: string) => `UPDATE device_keys SET key_id = '${id}', public_key = '${key}' WHERE from_seq = 4`, 3],
    ['a key list gaining a key no rotation named', (key: string, id: string) => `INSERT INTO device_keys (from_seq, key_id, public_key, added_at) VALUES (2, '${id}', '${key}', '2026-11-05')`, 1],
    ['a key list gaining a key from beyond the chain', (key: string, id: string) => `INSERT INTO device_keys (from_seq, key_id, public_key, added_at) VALUES (100, '${id}', '${key}', '2026-11-05')`, null],
  ])('detects %s', (_name, sql, seq) => {
    const { ledger, dataDir } = ledgerWith();
    ledger.capture(draft(), terms);
    ledger.rotateKey('technician');
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    ledger.close();
    open.splice(open.indexOf(ledger), 1);
    const other = crypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
    tamper(dataDir, sql(other, crypto.createHash('sha256').update(Buffer.from(other, 'base64url')).digest('hex').slice(0, 32)));
    expect(openLedgerReaderFor(dataDir).verify()).toMatchObject({ ok: false, break: { problem: 'rotation_mismatch', seq } });
  });
});

describe('verify on the chain\'s other events', () => {
  function observedLedger() {
    const { ledger, clock, dataDir } = ledgerWith();
    ledger.capture(draft(), terms);
    observeClock(ledger, clock);
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    ledger.close();
    open.splice(open.indexOf(ledger), 1);
    return dataDir;
  }

  it.each([
    ['a clock observation re-signed as about another device', (body: Record<string, any>) => (body.statement.statement.deviceId = crypto.randomUUID())], // eslint-disable-line @typescript-eslint/no-explicit-any
    ['a clock observation re-signed with its answer before its request', (body: Record<string, any>) => (body.received.monoMs = body.sent.monoMs - 1)], // eslint-disable-line @typescript-eslint/no-explicit-any
  ])('detects %s', (_name, edit) => {
    const dataDir = observedLedger();
    resignEvent(dataDir, 3, edit as never);
    expect(openLedgerReaderFor(dataDir).verify()).toMatchObject({ ok: false, break: { seq: 3, problem: 'observation_mismatch' } });
  });

  it('detects personal data attached to an event that is not a consent', () => {
    const dataDir = observedLedger();
    tamper(dataDir, 'UPDATE events SET opening = (SELECT opening FROM events WHERE seq = 1) WHERE seq = 3');
    expect(openLedgerReaderFor(dataDir).verify()).toMatchObject({ ok: false, break: { seq: 3, problem: 'opening_mismatch' } });
  });
});

describe('the export', () => {
  it('ends with a head statement the current device key signed, naming the last event and the count', () => {
    const { ledger, clock } = ledgerWith();
    ledger.capture(draft(), terms);
    observeClock(ledger, clock);
    ledger.rotateKey('technician');
    ledger.capture(draft({ consents: [consentFor(['offers'])] }), terms);
    const records = [...ledger.exportRecords({ personalData: false })].map((record) => ExportRecord.parse(JSON.parse(JSON.stringify(record))));
    const [header, ...rest] = records;
    const head = rest.at(-1)!;
    if (header?.record !== 'header' || head.record !== 'head') throw new Error('expected a header first and a head last');
    expect(header.keys.map((key) => key.fromSeq)).toEqual([1, 5]);
    expect(header.keyId).toBe(ledger.keyId);
    const events = rest.filter((record) => record.record === 'event');
    expect(events.map((record) => record.record === 'event' && record.event.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(head.statement).toMatchObject({ type: 'export_head', deviceId: ledger.deviceId, keyId: ledger.keyId, events: 5, head: { seq: 5 }, break: null });
    const key = crypto.createPublicKey(header.publicKey.pem);
    expect(crypto.verify(null, Buffer.from(canonicalJson(head.statement)), key, Buffer.from(head.sig!, 'base64url'))).toBe(true);
  });

  it('carries the API statement the sync worker kept', () => {
    const { ledger } = ledgerWith();
    ledger.capture(draft(), terms);
    const statement = apiStatementKey().sign(ledger.deviceId, new Date(), { seq: 2, hash: ledger.status().chainHead!.hash });
    ledger.saveApiStatement(statement);
    const records = [...ledger.exportRecords({ personalData: false })];
    expect(records.at(-2)).toMatchObject({ record: 'api_statement', statement });
    expect(records.at(-1)).toMatchObject({ record: 'head' });
  });
});
