import { afterEach, describe, expect, it } from 'vitest';
import { HostClient } from '../../../sdk/host-client/index.ts';
import { startTestHost } from '../host/host-fixture.ts';
import { rawHost, type TestHost } from './raw-host.ts';

const hosts: TestHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.dispose();
});

async function kiosk() {
  const host = await startTestHost();
  hosts.push(host);
  return host;
}

/** What the renderer's long poll answers now, and what it answers once the headphones differ from `known`. */
const headphonesNow = async (host: TestHost) => ((await host.dispatch('awaitStep', { known: null, waitMs: 0 })) as { value: { headphones: boolean } }).value.headphones;

describe('OptIn.Headphones, the terminal’s headphone jack', () => {
  it('tells the screen headphones are in and out, waking its long poll, with no session open', async () => {
    const host = await kiosk();
    const client = await HostClient.connect({ credentialsFile: host.hostApi.credentialsFile });
    try {
      const waiting = host.dispatch('awaitStep', { known: null, waitMs: 10_000, headphones: false });
      await client.headphones('present');
      expect(await waiting).toMatchObject({ ok: true, value: { step: null, headphones: true } });

      const unplugged = host.dispatch('awaitStep', { known: null, waitMs: 10_000, headphones: true });
      await client.headphones('notPresent');
      expect(await unplugged).toMatchObject({ ok: true, value: { headphones: false } });
    } finally {
      await client.close();
    }
  });

  it('refuses a jack state it does not know with invalidData, and changes nothing', async () => {
    const host = await kiosk();
    const raw = await rawHost(host);
    try {
      const plugged = raw.command('OptIn.Headphones', { headphones: 'present' });
      expect(await raw.next()).toMatchObject({ header: { type: 'acknowledge', requestId: plugged } });
      expect(await raw.next()).toMatchObject({ header: { requestId: plugged, completionCode: 'success' } });

      for (const payload of [{ headphones: 'notAvailable' }, { headphones: true }, {}, { headphones: 'notPresent', volume: 3 }]) {
        const bad = raw.command('OptIn.Headphones', payload);
        expect(await raw.next()).toMatchObject({ header: { type: 'acknowledge', requestId: bad } });
        expect(await raw.next()).toMatchObject({
          header: { requestId: bad, completionCode: 'invalidData', errorDescription: expect.stringMatching(/^Invalid OptIn\.Headphones: payload/) },
          payload: {},
        });
      }
      expect(await headphonesNow(host)).toBe(true);
    } finally {
      await raw.close();
    }
  });

  it('forgets the headphones when the host application goes away: nobody reports the jack any more', async () => {
    const host = await kiosk();
    const client = await HostClient.connect({ credentialsFile: host.hostApi.credentialsFile });
    await client.headphones('present');
    expect(await headphonesNow(host)).toBe(true);
    const forgotten = host.dispatch('awaitStep', { known: null, waitMs: 10_000, headphones: true });
    await client.close();
    expect(await forgotten).toMatchObject({ ok: true, value: { headphones: false } });
  });
});
