import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KioskError } from '../../../shared/contract/errors.ts';
import { IngestResponse } from '../../../shared/contract/sync.ts';
import { TestKiosk } from './test-kiosk.ts';
import { startWithEnrolledKiosk, type TestServer } from './test-server.ts';

let api: TestServer;
let kiosk: TestKiosk;
let credential: string;

beforeEach(async () => ({ api, kiosk, credential } = await startWithEnrolledKiosk()));
afterEach(() => api.stop());

async function storedEventIds(): Promise<string[]> {
  return (await api.server.store.db.all<{ id: string }>('SELECT id FROM events ORDER BY device_id, seq')).map((row) => row.id);
}

describe('event ingest', () => {
  it('accepts a batch of signed events and stores every one', async () => {
    const items = kiosk.events(3);
    const response = IngestResponse.parse(await api.ingest(credential, items));
    expect(response.results).toEqual(items.map((item) => ({ id: item.event.id, status: 'accepted' })));
    expect(await storedEventIds()).toEqual(items.map((item) => item.event.id));
  });

  it('answers duplicate for an event it already holds, however often it is resent', async () => {
    const items = kiosk.events(2);
    await api.ingest(credential, items);
    const again = await api.ingest(credential, items);
    expect(again.results.map((result) => result.status)).toEqual(['duplicate', 'duplicate']);
    expect(await storedEventIds()).toHaveLength(2);
  });

  it('rejects an event whose signed content was altered, and stores the rest of the batch', async () => {
    const [first, tampered, third] = kiosk.events(3);
    (tampered!.event as { kind: string }).kind = 'opt_out';
    const { results } = await api.ingest(credential, [first!, tampered!, third!]);
    expect(results[1]).toMatchObject({ status: 'rejected', reason: 'bad_signature' });
    expect(results[0]!.status).toBe('accepted');
    expect(results[2]).toMatchObject({ status: 'accepted', chainGap: { expectedSeq: 2, receivedSeq: 3 } });
    expect(await storedEventIds()).toEqual([first!.event.id, third!.event.id]);
  });

  it('rejects an event whose subject opening does not match its commitment', async () => {
    const item = kiosk.event({ phone: '+819012345678' });
    const { results } = await api.ingest(credential, [{ ...item, subject: { ...item.subject!, phone: '+819087654321' } }]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: 'commitment_mismatch' });
    expect(await storedEventIds()).toEqual([]);
  });

  it('rejects events uploaded with another device\'s credential', async () => {
    const other = new TestKiosk();
    await api.enrol(other);
    const { results } = await api.ingest(credential, other.events(1));
    expect(results[0]).toMatchObject({ status: 'rejected', reason: 'wrong_device' });
  });

  it('reports a gap in the chain but still stores the events after it', async () => {
    const items = kiosk.events(5);
    await api.ingest(credential, items.slice(0, 2));
    const { results } = await api.ingest(credential, items.slice(3));
    expect(results).toEqual([
      { id: items[3]!.event.id, status: 'accepted', chainGap: { expectedSeq: 3, receivedSeq: 4 } },
      { id: items[4]!.event.id, status: 'accepted' },
    ]);
    const late = await api.ingest(credential, [items[2]!]);
    expect(late.results).toEqual([{ id: items[2]!.event.id, status: 'accepted' }]);
    expect(await storedEventIds()).toHaveLength(5);
  });

  it('accepts events that arrive out of order within a batch without reporting a gap', async () => {
    const items = kiosk.events(4);
    const { results } = await api.ingest(credential, [items[2]!, items[0]!, items[3]!, items[1]!]);
    expect(results.map((result) => [result.id, result.status, 'chainGap' in result])).toEqual(
      [items[2]!, items[0]!, items[3]!, items[1]!].map((item) => [item.event.id, 'accepted', false]),
    );
  });

  it('rejects an event whose prev does not match the event the server holds before it', async () => {
    await api.ingest(credential, kiosk.events(1));
    kiosk.rewind(0);
    const [, forked] = kiosk.events(2);
    const { results } = await api.ingest(credential, [forked!]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: 'chain_conflict' });
  });

  it('rejects a second, different event for a sequence number it already holds', async () => {
    await api.ingest(credential, kiosk.events(2));
    kiosk.rewind(1);
    const { results } = await api.ingest(credential, [kiosk.event()]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: 'chain_conflict' });
    expect(await storedEventIds()).toHaveLength(2);
  });

  it('judges a late batch against the events held after it and the batch\'s own earlier events', async () => {
    const items = kiosk.events(5);
    await api.ingest(credential, items.slice(3));
    kiosk.rewind(1);
    const forked = kiosk.event();
    const { results } = await api.ingest(credential, [items[0]!, items[1]!, forked, items[2]!]);
    expect(results).toEqual([
      { id: items[0]!.event.id, status: 'accepted' },
      { id: items[1]!.event.id, status: 'accepted' },
      expect.objectContaining({ id: forked.event.id, status: 'rejected', reason: 'chain_conflict', message: expect.stringContaining('#2') }),
      { id: items[2]!.event.id, status: 'accepted' },
    ]);
    expect(await storedEventIds()).toEqual(items.map((item) => item.event.id));
  });

  it('rejects a late event that the event held after it does not chain to, and takes the one it does', async () => {
    const items = kiosk.events(3);
    await api.ingest(credential, [items[0]!, items[2]!]);
    kiosk.rewind(1);
    const forked = kiosk.event();
    expect((await api.ingest(credential, [forked])).results[0]).toMatchObject({ status: 'rejected', reason: 'chain_conflict', message: expect.stringContaining('#3') });
    expect((await api.ingest(credential, [items[1]!])).results).toEqual([{ id: items[1]!.event.id, status: 'accepted' }]);
    expect(await storedEventIds()).toEqual(items.map((item) => item.event.id));
  });

  it('rejects one malformed event in a batch and keeps the others', async () => {
    const [good, broken] = kiosk.events(2);
    const { results } = await api.ingest(credential, [good!, { ...broken!, event: { ...broken!.event, seq: 'two' } } as never]);
    expect(results[0]!.status).toBe('accepted');
    expect(results[1]).toMatchObject({ id: broken!.event.id, status: 'rejected', reason: 'invalid_event' });
  });

  it('refuses an unknown credential with 401 and stores nothing', async () => {
    const response = await api.post('/v1/ingest', { clockOffsetMs: 0, events: kiosk.events(1) }, 'not-a-credential');
    expect(response.status).toBe(401);
    expect(KioskError.parse(await response.json()).code).toBe('unauthorized');
    expect(await storedEventIds()).toEqual([]);
  });

  it('keeps accepted events across a server restart', async () => {
    const items = kiosk.events(3);
    await api.ingest(credential, items);
    await api.restart();
    const again = await api.ingest(credential, items);
    expect(again.results.map((result) => result.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect((await api.ingest(credential, kiosk.events(1))).results[0]).toEqual(expect.objectContaining({ status: 'accepted' }));
  });
});
