import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { checkBatch, type BatchCheck } from '../../../server/ingest/check-batch.ts';
import type { EnrolledDevice, EventCheck, VerifiedEvent } from '../../../server/ingest/verify-event.ts';
import { publicKeyObject } from '../../../server/keys/ed25519.ts';
import type { SignedApiStatement } from '../../../shared/contract/api-statement.ts';
import { GENESIS_HASH } from '../../../shared/contract/consent-event.ts';
import type { IngestItem } from '../../../shared/contract/sync.ts';
import { canonicalApiStatement, canonicalJson } from '../../../shared/event-bytes.ts';
import { SAKURA_BANK, SORA_AIRLINES, TestKiosk } from './test-kiosk.ts';

// The checks a verify worker runs on an uploaded batch, called here in this process: in the API they run on a
// worker thread, bundled, where a mutation test cannot see them (docs/mutation.md). Every HTTP test of ingest goes
// through the same function.

const BUSINESSES = [SAKURA_BANK, SORA_AIRLINES];
const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The device as the registry hands it to a verify worker: its first key valid from seq 1. */
function enrolled(kiosk: TestKiosk, businessIds: string[] | null = null): EnrolledDevice {
  return { id: kiosk.deviceId, keys: [{ keyId: kiosk.keyId, key: publicKeyObject(kiosk.publicKey), fromSeq: 1, toSeq: null }], businessIds };
}

const bodyOf = (value: unknown): Uint8Array => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

function checks(items: unknown[], device: EnrolledDevice): EventCheck[] {
  const batch = checkBatch(bodyOf({ events: items }), device, BUSINESSES);
  if (!batch.ok) throw new Error(`batch refused: ${batch.error.message}`);
  return batch.checks;
}

const verifiedOf = (check: EventCheck | undefined): VerifiedEvent => {
  if (!check?.ok) throw new Error(`expected a verified event, got ${JSON.stringify(check)}`);
  return check.verified;
};

const rejection = (check: EventCheck | undefined) => (check && !check.ok ? check.rejected : null);

function newRawKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'jwk' }).x!;
  return { privateKey, raw, keyId: sha256Hex(Buffer.from(raw, 'base64url')).slice(0, 32) };
}

/** A statement signed by some API key: its check against the API's keys happens at storage, not here. */
function someStatement(deviceId: string): SignedApiStatement {
  const key = newRawKey();
  const statement = { v: 1 as const, type: 'device_head' as const, keyId: key.keyId, deviceId, head: null, issuedAt: '2026-03-01T09:00:00.000Z' };
  return { statement, sig: sign(null, Buffer.from(canonicalApiStatement(statement)), key.privateKey).toString('base64url') };
}

/**
 * A device whose key the test holds, for the events a well-behaved kiosk never signs (TestKiosk only signs what the
 * event format allows): rotations at seq 1 naming whatever `next` says.
 */
function handMadeDevice() {
  const key = newRawKey();
  const deviceId = randomUUID();
  const enrolledDevice: EnrolledDevice = { id: deviceId, keys: [{ keyId: key.keyId, key: publicKeyObject(key.raw), fromSeq: 1, toSeq: null }], businessIds: null };
  return {
    keyId: key.keyId,
    raw: key.raw,
    enrolled: enrolledDevice,
    rotation(next: { keyId: string; publicKey: string }): IngestItem {
      const body = {
        v: 2,
        type: 'key_rotation',
        id: uuidv7(),
        seq: 1,
        prev: GENESIS_HASH,
        device: { id: deviceId, keyId: key.keyId },
        capturedAt: '2026-03-01T09:00:00.000Z',
        clock: { knownGood: true, bootId: randomUUID(), monoMs: 1_000 },
        next,
        reason: 'scheduled',
      };
      const sig = sign(null, Buffer.from(canonicalJson(body)), key.privateKey).toString('base64url');
      return { event: { ...body, sig } as IngestItem['event'], subject: null };
    },
  };
}

/** The same item with its signed event edited and signed again by nobody: the signature no longer matches. */
function edited(item: IngestItem, edit: (event: Record<string, unknown>) => void): IngestItem {
  const event = structuredClone(item.event) as unknown as Record<string, unknown>;
  edit(event);
  return { ...item, event: event as unknown as IngestItem['event'] };
}

describe('a verify worker accepts', () => {
  it('a signed consent, handing storage exactly the signed bytes and what it needs of them', () => {
    const kiosk = new TestKiosk();
    const item = kiosk.event({ kind: 'opt_out', purpose: { id: 'offers', category: 'marketing' } });
    const { sig, ...body } = item.event;
    const canonical = canonicalJson(body);
    expect(verifiedOf(checks([item], enrolled(kiosk))[0])).toEqual({
      id: item.event.id,
      type: 'consent',
      seq: 1,
      prev: '0'.repeat(64),
      keyId: kiosk.keyId,
      capturedMs: Date.parse(item.event.capturedAt),
      knownGood: true,
      bootId: (item.event.clock as { bootId: string }).bootId,
      monoMs: (item.event.clock as { monoMs: number }).monoMs,
      sig,
      body: canonical,
      hash: sha256Hex(canonical),
      consent: {
        kind: 'opt_out',
        commitment: (item.event as { subject: { commitment: string } }).subject.commitment,
        purposeId: 'offers',
        purposeCategory: 'marketing',
        businessId: 'sakura-bank',
        // the hash of the sentence exactly as the event holds it, for the notice check (docs/server.md, "Notice versions")
        noticeTextHash: sha256Hex((item.event as { notice: { text: string } }).notice.text),
        opening: item.subject,
      },
    });
  });

  it('a consent whose opening was erased on the device, without one', () => {
    const kiosk = new TestKiosk();
    const verified = verifiedOf(checks([{ ...kiosk.event(), subject: null }], enrolled(kiosk))[0]);
    expect(verified.consent).not.toHaveProperty('opening');
  });

  it('a version 1 consent, matched to its business by name and number, with no boot or monotonic time', () => {
    const kiosk = new TestKiosk();
    kiosk.knownGood = false;
    const verified = verifiedOf(checks([kiosk.legacyEvent({ business: SORA_AIRLINES })], enrolled(kiosk))[0]);
    expect(verified).toMatchObject({ type: 'consent', knownGood: false, consent: { businessId: 'sora-airlines' } });
    expect(verified).not.toHaveProperty('bootId');
    expect(verified).not.toHaveProperty('monoMs');
    expect(verified).not.toHaveProperty('viaRotation');
  });

  it('a clock observation, with its statement and both device readings', () => {
    const kiosk = new TestKiosk();
    const statement = someStatement(kiosk.deviceId);
    const item = kiosk.observation(statement, { at: '2026-03-01T09:00:00.100Z', monoMs: 5_000 }, { at: '2026-03-01T09:00:00.300Z', monoMs: 5_200 });
    const verified = verifiedOf(checks([item], enrolled(kiosk))[0]);
    expect(verified).toMatchObject({
      type: 'clock_observation',
      observation: { statement, sent: { atMs: Date.parse('2026-03-01T09:00:00.100Z'), monoMs: 5_000 }, received: { atMs: Date.parse('2026-03-01T09:00:00.300Z'), monoMs: 5_200 } },
    });
    expect(verified).not.toHaveProperty('consent');
    expect(verified).not.toHaveProperty('rotation');
  });

  it('a key rotation, and the events after it in the same batch signed by the key it names, marked as resting on it', () => {
    const kiosk = new TestKiosk();
    const device = enrolled(kiosk);
    const before = kiosk.event();
    const rotation = kiosk.rotate('suspected_compromise');
    const after = kiosk.events(2);
    // uploaded out of order: the checks go by seq
    const results = checks([after[1], rotation, after[0], before], device);
    const next = (rotation.event as { next: { keyId: string; publicKey: string } }).next;
    expect(verifiedOf(results[1])).toMatchObject({ type: 'key_rotation', seq: 2, rotation: next });
    expect(verifiedOf(results[1])).not.toHaveProperty('viaRotation');
    expect(verifiedOf(results[0])).toMatchObject({ seq: 4, keyId: next.keyId, viaRotation: 2 });
    expect(verifiedOf(results[2])).toMatchObject({ seq: 3, keyId: next.keyId, viaRotation: 2 });
    expect(verifiedOf(results[3])).not.toHaveProperty('viaRotation');
  });

  it('a rotation sent again whose next key the API already registered from the seq after it (storage answers duplicate)', () => {
    const kiosk = new TestKiosk();
    const device = enrolled(kiosk);
    const rotation = kiosk.rotate();
    const next = (rotation.event as { next: { keyId: string; publicKey: string } }).next;
    const registered: EnrolledDevice = {
      ...device,
      keys: [{ ...device.keys[0]!, toSeq: 1 }, { keyId: next.keyId, key: publicKeyObject(next.publicKey), fromSeq: 2, toSeq: null }],
    };
    expect(verifiedOf(checks([rotation, kiosk.event()], registered)[0])).toMatchObject({ type: 'key_rotation' });
    expect(verifiedOf(checks([rotation, kiosk.event()], registered)[1])).not.toHaveProperty('viaRotation');
  });

  it('events signed within the seq range of each key, up to and from its bounds', () => {
    const kiosk = new TestKiosk();
    const first = { keyId: kiosk.keyId, key: publicKeyObject(kiosk.publicKey) };
    const items = kiosk.events(3);
    const device: EnrolledDevice = { id: kiosk.deviceId, businessIds: null, keys: [{ ...first, fromSeq: 2, toSeq: 3 }] };
    const results = checks(items, device);
    expect(rejection(results[0])).toMatchObject({ reason: 'wrong_key', message: 'The event names a key id that is not enrolled for this device at seq 1.' });
    expect(results[1]?.ok).toBe(true);
    expect(results[2]?.ok).toBe(true);
    expect(rejection(checks([...items, kiosk.event()], device)[3])).toMatchObject({ reason: 'wrong_key' });
  });

  it('an event the old key signed at the rotation\'s own seq, left to the chain check (the old key is valid up to the rotation)', () => {
    const kiosk = new TestKiosk();
    const device = enrolled(kiosk);
    kiosk.event();
    const forkByOld = kiosk.event();
    kiosk.rewind(1);
    const rotation = kiosk.rotate();
    const results = checks([rotation, forkByOld], device);
    expect(results.map((check) => check.ok)).toEqual([true, true]);
  });

  it('a version 1 consent by name and number together, when two businesses share a name', () => {
    const cards = { id: 'sakura-bank-cards', name: SAKURA_BANK.name, whatsappNumber: '+81312349999' };
    const kiosk = new TestKiosk();
    const batch = checkBatch(bodyOf({ events: [kiosk.legacyEvent({ business: cards }), kiosk.legacyEvent({ business: SAKURA_BANK })] }), enrolled(kiosk), [SAKURA_BANK, cards]);
    expect(batch).toMatchObject({ ok: true, checks: [{ ok: true, verified: { consent: { businessId: 'sakura-bank-cards' } } }, { ok: true, verified: { consent: { businessId: 'sakura-bank' } } }] });
  });
});

describe('a verify worker rejects, alone, and the rest of the batch stands', () => {
  it('an event naming a key that was never enrolled', () => {
    const kiosk = new TestKiosk();
    const device = enrolled(kiosk);
    const good = kiosk.event();
    kiosk.swapKey();
    const stranger = kiosk.event();
    const results = checks([good, stranger, kiosk.event()], device);
    expect(results[0]?.ok).toBe(true);
    expect(rejection(results[1])).toEqual({ id: stranger.event.id, status: 'rejected', reason: 'wrong_key', message: 'The event names a key id that is not enrolled for this device at seq 2.' });
    expect(rejection(results[2])).toMatchObject({ reason: 'wrong_key' });
  });

  it('an event signed by the old key after a rotation in the same batch retired it', () => {
    const kiosk = new TestKiosk();
    const device = enrolled(kiosk);
    kiosk.event();
    kiosk.event();
    // what someone holding the retired key signs after the rotation: seq 3 under the old key
    const oldKeyAfter = kiosk.event();
    kiosk.rewind(1);
    const rotation = kiosk.rotate();
    const results = checks([rotation, oldKeyAfter], device);
    expect(results[0]?.ok).toBe(true);
    expect(rejection(results[1])).toMatchObject({ reason: 'wrong_key', message: 'The event names a key id that is not enrolled for this device at seq 3.' });
  });

  it('an event a key retired by an earlier rotation signed at the seq of a later rotation in the batch', () => {
    const kiosk = new TestKiosk();
    const first = { keyId: kiosk.keyId, key: publicKeyObject(kiosk.publicKey) };
    // what someone still holding the first key signs at seq 4, long after the rotation at seq 2 retired it
    const byRetired = kiosk.events(4)[3]!;
    kiosk.rewind(1);
    const firstRotation = kiosk.rotate();
    const second = (firstRotation.event as { next: { keyId: string; publicKey: string } }).next;
    kiosk.event();
    const secondRotation = kiosk.rotate();
    const device: EnrolledDevice = {
      id: kiosk.deviceId,
      businessIds: null,
      keys: [
        { ...first, fromSeq: 1, toSeq: 2 },
        { keyId: second.keyId, key: publicKeyObject(second.publicKey), fromSeq: 3, toSeq: null },
      ],
    };
    const results = checks([secondRotation, byRetired], device);
    expect(results[0]?.ok).toBe(true);
    expect(rejection(results[1])).toMatchObject({ reason: 'wrong_key', message: 'The event names a key id that is not enrolled for this device at seq 4.' });
  });

  it('an event the next key signed at the seq of the rotation naming it: the next key signs only after it', () => {
    const kiosk = new TestKiosk();
    const device = enrolled(kiosk);
    kiosk.event();
    const rotation = kiosk.rotate();
    kiosk.rewind(1);
    // a second seq 2, signed by the key the rotation at seq 2 names
    const forkByNext = kiosk.event();
    const results = checks([rotation, forkByNext], device);
    expect(results[0]?.ok).toBe(true);
    expect(rejection(results[1])).toMatchObject({ reason: 'wrong_key', message: 'The event names a key id that is not enrolled for this device at seq 2.' });
  });

  it('an event recorded by another device than the one uploading it', () => {
    const kiosk = new TestKiosk();
    const other = new TestKiosk();
    const results = checks([kiosk.event(), other.event()], enrolled(kiosk));
    expect(results[0]?.ok).toBe(true);
    expect(rejection(results[1])).toMatchObject({ reason: 'wrong_device', message: 'The event was recorded by another device than the one uploading it.' });
  });

  it('a subject opening on an event that is not a consent', () => {
    const kiosk = new TestKiosk();
    const opened = kiosk.event().subject;
    const observation = { ...kiosk.observation(someStatement(kiosk.deviceId)), subject: opened };
    expect(rejection(checks([observation], enrolled(kiosk))[0])).toMatchObject({
      reason: 'invalid_event',
      message: 'subject: only a consent event carries a subject opening.',
    });
  });

  it('an opening that does not match the commitment in the signed event', () => {
    const kiosk = new TestKiosk();
    const item = kiosk.event();
    const results = checks([{ ...item, subject: { ...item.subject!, phone: '+819099999999' } }], enrolled(kiosk));
    expect(rejection(results[0])).toMatchObject({ reason: 'commitment_mismatch', message: 'The subject opening does not match the commitment in the signed event.' });
  });

  it('an event whose signed content was altered', () => {
    const kiosk = new TestKiosk();
    const item = edited(kiosk.event({ kind: 'opt_out' }), (event) => (event.kind = 'opt_in'));
    expect(rejection(checks([item], enrolled(kiosk))[0])).toMatchObject({
      reason: 'bad_signature',
      message: 'The Ed25519 signature does not verify against the device key valid for this seq.',
    });
  });

  it.each([
    ['an unknown business id', { ...SAKURA_BANK, id: 'no-such-bank' }, 'The consent names business "no-such-bank" with a name or number the API does not know for it.'],
    ["a known business id with another business's name", { ...SAKURA_BANK, name: 'Sora Airlines' }, 'The consent names business "sakura-bank" with a name or number the API does not know for it.'],
    ['a known business id with another number', { ...SAKURA_BANK, whatsappNumber: SORA_AIRLINES.whatsappNumber }, 'The consent names business "sakura-bank" with a name or number the API does not know for it.'],
  ])('a consent naming %s', (_name, business, message) => {
    const kiosk = new TestKiosk();
    expect(rejection(checks([kiosk.event({ business })], enrolled(kiosk))[0])).toMatchObject({ reason: 'unknown_business', message });
  });

  it.each([
    ['a name no business has', { ...SAKURA_BANK, name: 'Sakura Bankk' }],
    ["one business's name with another's number", { ...SAKURA_BANK, whatsappNumber: SORA_AIRLINES.whatsappNumber }],
  ])('a version 1 consent naming %s', (_name, business) => {
    const kiosk = new TestKiosk();
    expect(rejection(checks([kiosk.legacyEvent({ business })], enrolled(kiosk))[0])).toMatchObject({
      reason: 'unknown_business',
      message: 'The consent names a business (by name and number) the API does not know.',
    });
  });

  it('a consent for a business the device was not enrolled to collect for, and only that one', () => {
    const kiosk = new TestKiosk();
    const results = checks([kiosk.event({ business: SAKURA_BANK }), kiosk.event({ business: SORA_AIRLINES })], enrolled(kiosk, ['sakura-bank']));
    expect(results[0]?.ok).toBe(true);
    expect(rejection(results[1])).toMatchObject({ reason: 'business_not_allowed', message: 'This device is not enrolled to collect consent for "sora-airlines".' });
  });

  it('a rotation whose next key id is not its public key, or that names a key the device already has', () => {
    const device = handMadeDevice();
    const stranger = newRawKey();
    const results = checks(
      [device.rotation({ keyId: newRawKey().keyId, publicKey: stranger.raw }), device.rotation({ keyId: device.keyId, publicKey: device.raw })],
      device.enrolled,
    );
    expect(rejection(results[0])).toMatchObject({ reason: 'invalid_event', message: 'next.keyId does not match next.publicKey (first 16 bytes of its SHA-256, hex).' });
    expect(rejection(results[1])).toMatchObject({ reason: 'invalid_event', message: 'next: the rotation names a key this device already has.' });
  });

  it('an event that fails the schema, named by its id and the first field at fault', () => {
    const kiosk = new TestKiosk();
    const item = kiosk.event();
    const results = checks([{ ...item, event: { ...item.event, seq: 0 } }, { event: { id: 'x'.repeat(100) } }, 42, null], enrolled(kiosk));
    expect(rejection(results[0])).toEqual({ id: item.event.id, status: 'rejected', reason: 'invalid_event', message: expect.stringMatching(/^event\.seq: /) });
    expect(rejection(results[1])).toMatchObject({ id: 'x'.repeat(64), reason: 'invalid_event' });
    expect(rejection(results[2])).toMatchObject({ id: '(unknown)', reason: 'invalid_event', message: expect.stringMatching(/^\(root\): /) });
    expect(rejection(results[3])).toMatchObject({ id: '(unknown)', reason: 'invalid_event' });
  });

  it('with a message of at most 300 characters', () => {
    const kiosk = new TestKiosk();
    const item = kiosk.event();
    const [check] = checks([{ ...item, event: { ...item.event, ['x'.repeat(400)]: 1 } }], enrolled(kiosk));
    expect(rejection(check)?.message.length).toBeLessThanOrEqual(300);
    expect(rejection(check)?.message.length).toBeGreaterThan(200);
  });
});

describe('a verify worker refuses the whole batch', () => {
  const refusal = (batch: BatchCheck) => (batch.ok ? null : batch.error);

  it('for a body that is not JSON, or an envelope that is not a batch', () => {
    const kiosk = new TestKiosk();
    const device = enrolled(kiosk);
    expect(refusal(checkBatch(bodyOf('{"events": ['), device, BUSINESSES))).toEqual({ code: 'invalid_request', message: 'The request body is not valid JSON.' });
    expect(refusal(checkBatch(bodyOf({ events: [] }), device, BUSINESSES))).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/ingest batch/) });
    expect(refusal(checkBatch(bodyOf({ events: [kiosk.event()], extra: 1 }), device, BUSINESSES))).toMatchObject({ code: 'invalid_request' });
  });

  it('reads exactly the bytes it was handed, wherever they lie in their buffer', () => {
    const kiosk = new TestKiosk();
    const json = Buffer.from(JSON.stringify({ events: [kiosk.event()] }));
    const padded = Buffer.concat([Buffer.from('garbage'), json, Buffer.from('more garbage')]);
    const batch = checkBatch(padded.subarray(7, 7 + json.length), enrolled(kiosk), BUSINESSES);
    expect(batch).toMatchObject({ ok: true, checks: [{ ok: true }] });
  });

  it('parses and ignores the clock offset an older kiosk still sends', () => {
    const kiosk = new TestKiosk();
    expect(checkBatch(bodyOf({ clockOffsetMs: 9_999_999, events: [kiosk.event()] }), enrolled(kiosk), BUSINESSES)).toMatchObject({ ok: true, checks: [{ ok: true }] });
  });
});
