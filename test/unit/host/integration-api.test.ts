import { afterEach, describe, expect, it } from 'vitest';
import { FlowSessions } from '../../../electron/host/flow-sessions.ts';
import { startTestHost } from './host-fixture.ts';

type TestHost = Awaited<ReturnType<typeof startTestHost>>;
let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

async function startIntegratedHost() {
  host = await startTestHost((profile) => {
    profile.flows[0]!.verifiedSubject = { kind: 'integration' };
  });
  const api = host.integration!;
  const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api.origin}${path}`, {
      method: path.endsWith('/clear') ? 'POST' : 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { host, call };
}

describe('the host integration API', () => {
  it('offers the number the terminal software pushed, masked, to the next flow session only', async () => {
    const { host, call } = await startIntegratedHost();
    const pushed = await call('/integration/v1/verified-subject', { flowId: 'atm', phone: '+819087654321', customerRef: 'card-77' });
    expect(pushed.status).toBe(200);
    expect(await pushed.json()).toMatchObject({ ok: true, value: { flowId: 'atm', masked: '+••••••••4321' } });

    const first = await host.dispatch('startFlow', { flowId: 'atm' });
    expect(first).toMatchObject({ ok: true, value: { verifiedSubject: { masked: '+••••••••4321' } } });
    const second = await host.dispatch('startFlow', { flowId: 'atm' });
    expect(second).toMatchObject({ ok: true, value: { verifiedSubject: null } });
  });

  it('forgets a pushed number when the terminal software clears it', async () => {
    const { host, call } = await startIntegratedHost();
    await call('/integration/v1/verified-subject', { flowId: 'atm', phone: '+819087654321' });
    expect((await call('/integration/v1/verified-subject/clear', { flowId: 'atm' })).status).toBe(200);
    expect(await host.dispatch('startFlow', { flowId: 'atm' })).toMatchObject({ ok: true, value: { verifiedSubject: null } });
  });

  it('refuses callers without the token, browsers, bad bodies and flows that take no pushed numbers', async () => {
    const { host, call } = await startIntegratedHost();
    const good = { flowId: 'atm', phone: '+819087654321' };
    expect((await call('/integration/v1/verified-subject', good, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call('/integration/v1/verified-subject', good, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await call('/integration/v1/verified-subject', '{"flowId":')).status).toBe(400);
    const notE164 = await call('/integration/v1/verified-subject', { flowId: 'atm', phone: '09087654321' });
    expect(notE164.status).toBe(400);
    expect(await notE164.json()).toMatchObject({ ok: false, error: { code: 'invalid_request', details: [{ path: 'phone' }] } });
    expect((await call('/integration/v1/verified-subject', { ...good, flowId: 'airline' })).status).toBe(403);
    expect((await call('/integration/v1/verified-subject', { flowId: 'atm', phone: `+81${'9'.repeat(9000)}` })).status).toBe(413);
    expect(await host.dispatch('startFlow', { flowId: 'atm' })).toMatchObject({ ok: true, value: { verifiedSubject: null } });
  });

  it('refuses a customer reference that is not well-formed Unicode, and keeps nothing of the push', async () => {
    const { host, call } = await startIntegratedHost();
    const pushed = await call('/integration/v1/verified-subject', '{"flowId":"atm","phone":"+819087654321","customerRef":"card \\ud800"}');
    expect(pushed.status).toBe(400);
    expect(await pushed.json()).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', details: [{ path: 'customerRef', message: 'must be well-formed Unicode (no lone surrogates)' }] },
    });
    expect(await host.dispatch('startFlow', { flowId: 'atm' })).toMatchObject({ ok: true, value: { verifiedSubject: null } });
    expect(host.ledger.status().chainHead).toBeNull();
  });

  it('does not start when no flow takes pushed numbers', async () => {
    host = await startTestHost();
    expect(host.integration).toBeNull();
  });
});

describe('flow sessions', () => {
  const flow = {
    id: 'atm',
    verifiedSubject: { kind: 'simulated', phone: '+819012345678' },
  } as Parameters<FlowSessions['start']>[0];

  it('lets a handle lapse after its time, and ends it when another flow starts', () => {
    let now = 0;
    const sessions = new FlowSessions({ now: () => now, handleTtlMs: 1000 });
    const handle = sessions.start(flow).verifiedSubject!.handle;
    expect(sessions.resolve(handle, 'atm').phone).toBe('+819012345678');
    now = 1000;
    expect(() => sessions.resolve(handle, 'atm')).toThrow(/no longer available/);

    now = 0;
    const next = sessions.start(flow).verifiedSubject!.handle;
    expect(next).not.toBe(handle);
    sessions.start({ ...flow, id: 'other', verifiedSubject: { kind: 'none' } });
    expect(() => sessions.resolve(next, 'atm')).toThrow(/no longer available/);
  });

  it('does not accept a handle for another flow', () => {
    const sessions = new FlowSessions();
    const handle = sessions.start(flow).verifiedSubject!.handle;
    expect(() => sessions.resolve(handle, 'airline')).toThrow(/no longer available/);
  });
});
