import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../electron/ledger/ledger.ts';
import { consentFor, draft, freshLedger, terms } from '../unit/ledger/fixtures.ts';
import { fillDisk, smallDisk } from './fixtures/small-disk.ts';

/** A real full disk: a 1 MiB tmpfs, filled with a ballast file. */
let disk: ReturnType<typeof smallDisk>;
let mountPoint = '';
let mounted = false;

beforeAll(() => {
  disk = smallDisk('1m', 'ledger-disk-full');
  ({ mountPoint, mounted } = disk);
});

afterAll(() => disk.unmount());

describe('a full disk', () => {
  it('refuses the capture with a calm storage_full error, writes nothing half, and recovers when space returns', (context) => {
    if (!mounted) context.skip();
    const { ledger, dataDir } = freshLedger({ dataDir: path.join(mountPoint, 'data') });
    const open: Ledger = ledger;
    try {
      open.capture(draft(), terms);
      const ballast = path.join(mountPoint, 'ballast');
      fillDisk(ballast);

      let failure: unknown;
      for (let attempt = 0; attempt < 200 && !failure; attempt += 1) {
        try {
          open.capture(draft({ consents: [consentFor(['balance_alerts']), consentFor(['offers'])] }), terms);
        } catch (error) {
          failure = error;
        }
      }
      expect(failure).toMatchObject({ code: 'storage_full', message: expect.stringMatching(/run out of storage.*not saved/) });
      const before = open.status();
      // Whole captures only: the head is even because every capture after the first wrote two events.
      expect(before.chainHead!.seq % 2).toBe(0);
      expect(before.outbox.pending).toBe(before.chainHead!.seq);
      expect(open.verify()).toMatchObject({ ok: true, events: before.chainHead!.seq });

      fs.rmSync(ballast);
      const after = open.capture(draft(), terms);
      expect(after.events.map((event) => event.seq)).toEqual([before.chainHead!.seq + 1, before.chainHead!.seq + 2]);
      expect(open.verify()).toMatchObject({ ok: true, events: before.chainHead!.seq + 2 });
      expect(fs.existsSync(dataDir)).toBe(true);
    } finally {
      open.close();
    }
  });
});
