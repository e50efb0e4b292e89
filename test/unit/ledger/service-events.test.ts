import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../../electron/ledger/ledger.ts';
import { draft, freshLedger, tamper, terms } from './fixtures.ts';

const open: Ledger[] = [];
afterEach(() => {
  for (const ledger of open.splice(0)) ledger.close();
});

const action = { session: 'tech-session-1', technician: 'field-tech-1', action: 'test_capture', outcome: 'done', detail: 'Test capture.' } as const;

describe('a service event', () => {
  it('is signed into the chain between consents, verifies, syncs, and is never counted or exported as a consent', () => {
    const { ledger } = freshLedger();
    open.push(ledger);
    ledger.capture(draft(), terms);
    expect(ledger.recordServiceEvent({ ...action, action: 'session_started', detail: 'Technician session opened.' })).toMatchObject({ seq: 3 });
    expect(ledger.recordServiceEvent(action)).toMatchObject({ seq: 4 });
    ledger.capture(draft(), terms);
    expect(ledger.verify()).toMatchObject({ ok: true, events: 6, counts: { consent: 4, service: 2 } });
    expect(ledger.eventCounts()).toMatchObject({ consent: 4, service: 2 });
    expect(ledger.readOutbox(10, 2).slice(0, 2)).toMatchObject([
      { subject: null, event: { v: 2, type: 'service', action: 'session_started', technician: 'field-tech-1' } },
      { subject: null, event: { v: 2, type: 'service', action: 'test_capture' } },
    ]);
    const exported = [...ledger.exportRecords({ personalData: true })].filter((record) => 'event' in record);
    const services = exported.filter((record) => (record as { event: { type?: string } }).event.type === 'service');
    expect(services).toHaveLength(2);
    expect(services.every((record) => (record as { subject?: unknown }).subject == null)).toBe(true);
    expect(ledger.funnelCounts().reduce((sum, count) => sum + count.count, 0)).toBe(4);
  });

  it('cannot be changed after it was written without verify naming it', () => {
    const { ledger, dataDir } = freshLedger();
    open.push(ledger);
    ledger.recordServiceEvent(action);
    ledger.close();
    open.pop();
    // someone with SQL access, even recomputing the hash column, cannot sign as the device
    tamper(dataDir, "UPDATE events SET body = replace(body, 'field-tech-1', 'someone-else'), hash = sha256_hex(replace(body, 'field-tech-1', 'someone-else')) WHERE seq = 1");
    const reopened = freshLedger({ dataDir }).ledger;
    open.push(reopened);
    expect(reopened.verify()).toMatchObject({ ok: false, break: { seq: 1, problem: 'bad_signature' } });
  });

  it('refuses personal data or an unknown action, and records nothing', () => {
    const { ledger } = freshLedger();
    open.push(ledger);
    expect(() => ledger.recordServiceEvent({ ...action, action: 'opt_in' })).toThrow(/Invalid service event: action/);
    expect(() => ledger.recordServiceEvent({ ...action, phone: '+819012345678' })).toThrow(/Invalid service event/);
    expect(ledger.status().chainHead).toBeNull();
  });
});
