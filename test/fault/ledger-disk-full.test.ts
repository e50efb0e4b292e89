import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../electron/ledger/ledger.ts';
import { consentFor, draft, freshLedger, terms } from '../unit/ledger/fixtures.ts';

/**
 * A real full disk: a 1 MiB tmpfs, filled with a ballast file. Mounting needs root (as on this build machine);
 * elsewhere the test is skipped and says so.
 */
let mountPoint = '';
let mounted = false;

beforeAll(() => {
  mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    mounted = true;
  } catch {
    console.warn('ledger-disk-full: cannot mount a tmpfs here (needs root); the full-disk test is skipped.');
  }
});

afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

/** Writes until the file system refuses with ENOSPC. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
}

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
