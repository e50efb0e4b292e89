import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostClient, type HostEvent } from '../../sdk/host-client/index.ts';
import { acceptStep, stepOnScreen, type KioskCall } from '../fixtures/offered-step.ts';
import { startTestHost } from '../unit/host/host-fixture.ts';
import { fillDisk, smallDisk } from './fixtures/small-disk.ts';

/** The kiosk's data directory on a real 6 MiB tmpfs that the test fills with ballast files. */
let disk: ReturnType<typeof smallDisk>;
beforeAll(() => {
  disk = smallDisk('6m', 'host-api-disk-full');
});
afterAll(() => disk.unmount());

describe('a full disk under the host API', () => {
  it('ends the step failed with ledgerFull at the capture, then fails offers at once until space returns', async (context) => {
    if (!disk.mounted) context.skip();
    const ballast = (name: string) => path.join(disk.mountPoint, name);
    // Room for the kiosk, then a full disk with 700 kB held back to free once the offer is on screen.
    const kiosk = await startTestHost(undefined, { dataDir: path.join(disk.mountPoint, 'kiosk') });
    const client = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
    const call: KioskCall = (method, input) => kiosk.dispatch(method, input);
    try {
      fs.writeFileSync(ballast('held-back'), Buffer.alloc(700 * 1024, 1));
      fillDisk(ballast('fill-1'));
      fs.rmSync(ballast('held-back'));

      const events: HostEvent[] = [];
      const onScreen = stepOnScreen(call);
      await client.beginSession({ locale: 'en' });
      const outcome = client.offer({ flowId: 'airline' }, (event) => events.push(event));
      const step = await onScreen;
      fillDisk(ballast('fill-2'));
      const captured = await acceptStep(call, kiosk.profile, step, ['delays'], { typed: '09012345678' });
      expect(captured).toMatchObject({ ok: false, error: { code: 'storage_full' } });
      expect(await outcome).toMatchObject({ outcome: 'failed', errorCode: 'ledgerFull' });
      expect(events.map((event) => event.header.name)).toContain('OptIn.RecordFailedEvent');
      expect(kiosk.ledger.status().outbox.pending).toBe(0);

      expect(await client.status()).toMatchObject({ state: 'degraded', reasons: ['ledgerFull'] });
      const started = Date.now();
      expect(await client.offer({ flowId: 'airline' })).toMatchObject({ outcome: 'failed', errorCode: 'ledgerFull' });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await call('awaitStep', { known: null, waitMs: 0 })).toMatchObject({ value: { step: null } });

      for (const name of ['fill-1', 'fill-2']) fs.rmSync(ballast(name));
      expect(await client.status()).toMatchObject({ state: 'busy', reasons: [] });
      const again = stepOnScreen(call);
      const next = client.offer({ flowId: 'airline' });
      await acceptStep(call, kiosk.profile, await again, ['delays'], { typed: '09012345678' });
      expect(await next).toMatchObject({ outcome: 'accepted' });
      expect(kiosk.ledger.verify()).toMatchObject({ ok: true });
    } finally {
      await client.close();
      await kiosk.dispose();
    }
  });
});
