import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES } from '../../../shared/contract/host-api.ts';
import { HostApiRefused, HostClient } from '../../../sdk/host-client/index.ts';
import { startTestHost } from '../host/host-fixture.ts';
import { credentialsOf, rawHost, upgradeStatus, type TestHost } from './raw-host.ts';

let host: TestHost | undefined;
const clients: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await host?.dispose();
  host = undefined;
});

async function started() {
  host = await startTestHost();
  return host;
}

async function connected(kiosk: TestHost) {
  const client = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
  clients.push(client);
  return client;
}

describe('who may connect to the host API', () => {
  it('keeps the per-install secret in a file only its owner can read, and the same secret across restarts', async () => {
    const kiosk = await started();
    expect(statSync(kiosk.hostApi.credentialsFile).mode & 0o777).toBe(0o600);
    const first = credentialsOf(kiosk).secret;
    await kiosk.close();
    const again = await startTestHost(undefined, { dataDir: kiosk.dataDir + '/data' });
    try {
      expect(credentialsOf(again).secret).toBe(first);
    } finally {
      await again.dispose();
    }
  });

  it('shares the credentials file with the host application’s group only when it lies in a setgid directory', async () => {
    const shared = mkdtempSync(path.join(tmpdir(), 'kiosk-host-api-shared-'));
    chmodSync(shared, 0o2750);
    try {
      const kiosk = await startTestHost(undefined, { hostApi: { credentialsFile: path.join(shared, 'host-api.json') } });
      try {
        expect(statSync(kiosk.hostApi.credentialsFile).mode & 0o777).toBe(0o640);
        expect(credentialsOf(kiosk).url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/host-api\/v1$/);
      } finally {
        await kiosk.dispose();
      }
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('refuses a local process without the secret, or with a wrong one, and keeps serving the right one', async () => {
    const kiosk = await started();
    const { url, secret } = credentialsOf(kiosk);
    expect((await upgradeStatus(url, {})).status).toBe(401);
    const wrong = await upgradeStatus(url, { authorization: `Bearer ${'A'.repeat(43)}` });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toEqual({ ok: false, error: { code: 'unauthorized', message: 'The host API secret is missing or wrong.' } });
    await expect(HostClient.connect({ url, secret: 'B'.repeat(43) })).rejects.toMatchObject({ name: 'HostApiRefused', status: 401 });
    expect((await (await connected(kiosk)).status()).apiVersion).toBe('1.0');
    expect(secret).toHaveLength(43);
  });

  it('refuses a browser page (any Origin header), even one that has the secret', async () => {
    const kiosk = await started();
    const { url, secret } = credentialsOf(kiosk);
    const refused = await upgradeStatus(url, { authorization: `Bearer ${secret}`, origin: `http://127.0.0.1:${new URL(url).port}` });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Browser pages may not connect');
  });

  it('refuses a request addressed to another host name (DNS rebinding)', async () => {
    const kiosk = await started();
    const { url, secret } = credentialsOf(kiosk);
    const port = new URL(url).port;
    expect((await upgradeStatus(url, { authorization: `Bearer ${secret}`, host: `evil.example:${port}` })).status).toBe(421);
    expect((await upgradeStatus(url.replace('127.0.0.1', 'localhost'), { authorization: `Bearer ${secret}` })).status).toBe(0);
  });

  it('admits one host application at a time, and the next once the first has gone', async () => {
    const kiosk = await started();
    const first = await connected(kiosk);
    const second = HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
    await expect(second).rejects.toBeInstanceOf(HostApiRefused);
    await expect(second).rejects.toMatchObject({ status: 409, code: 'forbidden' });
    await first.close();
    const third = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile, retryForMs: 5_000 });
    clients.push(third);
    expect((await third.status()).session).toBeNull();
  });
});

describe('what the host API makes of bad messages', () => {
  it('answers malformed JSON, binary frames and non-commands with an invalidMessage acknowledge and keeps the connection', async () => {
    const raw = await rawHost(await started());
    clients.push(raw);
    raw.send('{"header":');
    expect(await raw.next()).toEqual({
      header: { name: '', requestId: null, type: 'acknowledge', version: '1.0', status: 'invalidMessage', errorDescription: 'The message is not valid JSON.' },
      payload: {},
    });
    raw.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await raw.next()).header).toMatchObject({ status: 'invalidMessage', errorDescription: expect.stringContaining('binary') });
    raw.send({ header: { name: 'Common.Status', requestId: 7, type: 'event' }, payload: {} });
    expect((await raw.next()).header).toMatchObject({ name: 'Common.Status', requestId: 7, status: 'invalidMessage' });
    raw.send({ header: { name: 'Common.Status', requestId: -1, type: 'command' }, payload: {} });
    expect((await raw.next()).header).toMatchObject({ requestId: null, status: 'invalidMessage' });

    const requestId = raw.command('Common.Status');
    expect((await raw.next()).header).toEqual({ name: 'Common.Status', requestId, type: 'acknowledge', version: '1.0' });
    expect((await raw.next()).header).toMatchObject({ type: 'completion', requestId, completionCode: 'success' });
  });

  it('refuses a message over the size limit with a typed answer, and closes the socket only on a far larger one', async () => {
    const kiosk = await started();
    const raw = await rawHost(kiosk);
    clients.push(raw);
    raw.command('OptIn.BeginSession', { customerReference: 'x'.repeat(MAX_MESSAGE_BYTES) });
    expect((await raw.next()).header).toMatchObject({ status: 'invalidMessage', errorDescription: `Messages may be at most ${MAX_MESSAGE_BYTES} bytes.` });
    expect((await (async () => (raw.command('Common.Status'), await raw.next()))()).header.type).toBe('acknowledge');
    await raw.next();

    const closed = once(raw.socket, 'close');
    raw.send('x'.repeat(MAX_MESSAGE_BYTES * 8));
    const [code] = (await closed) as [number];
    expect(code).toBe(1009);
    expect((await (await connected(kiosk)).status()).state).not.toBeUndefined();
  });

  it('completes an unknown command with unsupportedCommand and an off-contract payload with invalidData', async () => {
    const raw = await rawHost(await started());
    clients.push(raw);
    const unknown = raw.command('CardReader.EjectCard');
    await raw.next();
    expect(await raw.next()).toMatchObject({
      header: { type: 'completion', requestId: unknown, completionCode: 'unsupportedCommand', errorDescription: 'The kiosk has no command "CardReader.EjectCard".' },
      payload: {},
    });
    const bad = raw.command('OptIn.BeginSession', { verifiedSubject: { phone: '090-1234-5678' } });
    await raw.next();
    expect(await raw.next()).toMatchObject({
      header: { requestId: bad, completionCode: 'invalidData', errorDescription: expect.stringContaining('payload.verifiedSubject.phone') },
    });
    const badOffer = raw.command('OptIn.Offer', { flowId: 'atm', purposeIds: [] });
    await raw.next();
    expect(await raw.next()).toMatchObject({
      header: { requestId: badOffer, completionCode: 'invalidData' },
      payload: { outcome: 'failed', errorCode: 'invalidData', flowId: 'atm' },
    });
  });

  it('refuses a customer reference that is not well-formed Unicode, and opens no session and records nothing', async () => {
    const kiosk = await started();
    const raw = await rawHost(kiosk);
    clients.push(raw);
    // Sent as JSON text, as a host application would: the escape decodes to a lone surrogate, which RFC 8785 cannot sign.
    raw.send(
      '{"header":{"name":"OptIn.BeginSession","requestId":9,"type":"command"},"payload":{"verifiedSubject":{"phone":"+819012345678"},"customerReference":"card \\ud800"}}',
    );
    expect((await raw.next()).header).toEqual({ name: 'OptIn.BeginSession', requestId: 9, type: 'acknowledge', version: '1.0' });
    expect(await raw.next()).toMatchObject({
      header: {
        requestId: 9,
        completionCode: 'invalidData',
        errorDescription: 'Invalid OptIn.BeginSession: payload.customerReference: must be well-formed Unicode (no lone surrogates)',
      },
      payload: {},
    });
    const status = raw.command('Common.Status');
    await raw.next();
    expect(await raw.next()).toMatchObject({ header: { requestId: status, completionCode: 'success' }, payload: { session: null } });
    const offer = raw.command('OptIn.Offer', { flowId: 'atm' });
    await raw.next();
    expect(await raw.next()).toMatchObject({ header: { requestId: offer, completionCode: 'sequenceError' }, payload: { outcome: 'failed' } });
    expect(kiosk.ledger.status().chainHead).toBeNull();

    // A command name is echoed back in the refusal, and never as an ill-formed string either.
    raw.send('{"header":{"name":"Card\\ud800","requestId":10,"type":"command"},"payload":{}}');
    expect((await raw.next()).header).toMatchObject({ name: 'Card\uFFFD', requestId: 10, status: 'invalidMessage' });
  });

  it('refuses a requestId already in flight, and accepts it again once that command completed', async () => {
    const kiosk = await started();
    const raw = await rawHost(kiosk);
    clients.push(raw);
    raw.command('OptIn.BeginSession');
    await raw.next();
    await raw.next();
    // An offer stays in flight while its step is on screen: the screen here is this poll.
    const onScreen = kiosk.dispatch('awaitStep', { known: null, waitMs: 5_000 });
    const offer = { header: { name: 'OptIn.Offer', requestId: 5, type: 'command' }, payload: { flowId: 'atm' } };
    raw.send(offer);
    expect(await raw.next()).toEqual({ header: { name: 'OptIn.Offer', requestId: 5, type: 'acknowledge', version: '1.0' }, payload: {} });
    raw.send(offer);
    expect((await raw.next()).header).toMatchObject({ requestId: 5, type: 'acknowledge', status: 'invalidRequestID' });
    expect(await onScreen).toMatchObject({ ok: true, value: { step: { flowId: 'atm' } } });

    raw.send({ header: { name: 'Common.Cancel', requestId: 6, type: 'command' }, payload: {} });
    const answers = [await raw.next(), await raw.next(), await raw.next()];
    expect(answers.map(({ header }) => `${header.name} ${header.type} ${header.completionCode ?? ''}`.trim())).toEqual([
      'Common.Cancel acknowledge',
      'OptIn.Offer completion canceled',
      'Common.Cancel completion success',
    ]);
    raw.send({ header: { name: 'Common.Status', requestId: 5, type: 'command' }, payload: {} });
    expect((await raw.next()).header).toEqual({ name: 'Common.Status', requestId: 5, type: 'acknowledge', version: '1.0' });
  });
});

describe('the host client', () => {
  it('speaks only to the kiosk at the address in the credentials file', async () => {
    const kiosk = await started();
    const socket = new WebSocket(credentialsOf(kiosk).url.replace('/host-api/v1', '/elsewhere'), {
      headers: { authorization: `Bearer ${credentialsOf(kiosk).secret}` },
    });
    const [, response] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(404);
  });
});
