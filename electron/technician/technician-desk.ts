import { randomBytes } from 'node:crypto';
import { statfsSync } from 'node:fs';
import path from 'node:path';
import type { ServiceAction } from '../../shared/contract/chain-event.ts';
import { KioskFailure, toKioskError } from '../../shared/contract/errors.ts';
import type { Diagnostics, TechnicianActionName, TechnicianActionResult, technicianApi } from '../../shared/contract/technician.ts';
import { checkTypedToken } from '../../shared/enrolment-token.ts';
import type { z } from 'zod';
import type { SyncWorker } from '../host/host.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { sha256Hex } from '../ledger/event-signing.ts';
import type { ProfileGuard } from '../profile/profile-in-force.ts';
import { writeJsonAtomic } from '../sync/json-file.ts';
import { codeLockout, DEFAULT_LOCKOUT, type LockoutPolicy } from './code-lockout.ts';
import type { technicianCodes } from './technician-codes.ts';

/** A technician session ends by itself after this long without a touch, like a customer's. */
export const TECHNICIAN_IDLE_MS = 120_000;
export const DEAD_LETTERS_FILE = 'dead-letters.json';

type Handlers = { [M in keyof typeof technicianApi]: (input: z.output<(typeof technicianApi)[M]['input']>) => Promise<z.output<(typeof technicianApi)[M]['output']>> };

export type TechnicianDeskOptions = {
  dataDir: string;
  codes: ReturnType<typeof technicianCodes>;
  ledger: Ledger;
  profileGuard: ProfileGuard;
  sync: (SyncWorker & { enrol?(token: string): Promise<void>; apiUrl?: string }) | undefined;
  /** Whether a customer's step is on screen or offered: technician mode never opens then. */
  customerStepOpen: () => boolean;
  appVersion: string;
  restart: () => void;
  idleMs?: number;
  lockout?: LockoutPolicy;
  now?: () => Date;
  log: (line: string) => void;
};

const ACTION_EVENT: Record<TechnicianActionName, ServiceAction> = {
  check_integrity: 'integrity_checked',
  check_network: 'network_checked',
  sync_now: 'sync_requested',
  enrol: 'enrolment',
  requeue_dead_letters: 'dead_letters_requeued',
  export_dead_letters: 'dead_letters_exported',
  test_capture: 'test_capture',
  restart: 'restart',
};

/**
 * Technician mode on the host: one session at a time, opened by a technician's one-time code from the attract
 * screen only, rate-limited and locked after wrong codes, closed after inactivity; every session and action is a
 * service event in the chain (who, when, what, how it went), and nothing a technician does is ever a consent.
 */
export function createTechnicianDesk(options: TechnicianDeskOptions): Handlers & { close(): void } {
  const now = options.now ?? (() => new Date());
  const idleMs = options.idleMs ?? TECHNICIAN_IDLE_MS;
  const lockout = codeLockout(options.dataDir, options.lockout ?? DEFAULT_LOCKOUT);
  const { ledger } = options;
  let session: { id: string; technician: string; openedAt: number; timer: NodeJS.Timeout } | null = null;
  let apiReachable: Diagnostics['apiReachable'] = null;
  let integrity: Diagnostics['integrity'] = null;

  const record = (action: ServiceAction, outcome: 'done' | 'failed', detail: string, who = session) => {
    try {
      ledger.recordServiceEvent({ session: who?.id ?? null, technician: who?.technician ?? null, action, outcome, detail: detail.slice(0, 300) });
      // it goes to the API as a capture does
      options.sync?.wake();
    } catch (error) {
      // The action has happened; the ledger says why it could not record it (full disk…), the log keeps the fact.
      options.log(`technician: ${action} could not be recorded: ${toKioskError(error).message}`);
    }
  };

  const end = (why: string) => {
    if (!session) return;
    clearTimeout(session.timer);
    record('session_ended', 'done', why);
    session = null;
    apiReachable = null;
    integrity = null;
  };

  const touch = (id: string) => {
    if (!session || session.id !== id) throw new KioskFailure('unauthorized', 'The technician session has ended; open technician mode again.');
    clearTimeout(session.timer);
    session.timer = setTimeout(() => end(`Left after ${Math.round(idleMs / 1000)} s without a touch.`), idleMs);
    session.timer.unref();
  };

  const sync = () => options.sync;
  const apiUrl = () => sync()?.apiUrl ?? null;

  async function probeApi(): Promise<NonNullable<Diagnostics['apiReachable']>> {
    const url = apiUrl();
    const checkedAt = now().toISOString();
    if (!url) return { reachable: false, checkedAt, message: 'No central API is configured (KIOSK_API_URL).' };
    try {
      const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(5_000) });
      return response.ok
        ? { reachable: true, checkedAt, message: `The central API at ${url} answers.` }
        : { reachable: false, checkedAt, message: `The central API at ${url} answers ${response.status}.` };
    } catch {
      return { reachable: false, checkedAt, message: `The central API at ${url} cannot be reached.` };
    }
  }

  const actions: Record<TechnicianActionName, (token: string | undefined) => Promise<TechnicianActionResult>> = {
    check_integrity: async () => {
      const damage = ledger.checkIntegrity('quick');
      const report = damage.length === 0 ? ledger.verify() : null;
      const ok = damage.length === 0 && report?.ok === true;
      const message = damage.length > 0
        ? `SQLite reports the ledger damaged: ${damage[0]}`
        : report!.ok
          ? `The ledger is intact: ${report!.events} events verified, every signature and link.`
          : `The chain is broken: ${report!.break.message}`;
      integrity = { ok, checkedAt: now().toISOString(), message };
      return { outcome: ok ? 'done' : 'failed', message };
    },
    check_network: async () => {
      apiReachable = await probeApi();
      if (apiReachable.reachable) sync()?.wake('network-up');
      return { outcome: apiReachable.reachable ? 'done' : 'failed', message: apiReachable.message };
    },
    sync_now: async () => {
      const worker = sync();
      if (!worker) return { outcome: 'failed', message: 'Sync is off on this kiosk: no central API is configured.' };
      worker.wake('network-up');
      return { outcome: 'done', message: 'Sync started; the sync state below shows how it goes.' };
    },
    enrol: async (typed) => {
      const checked = checkTypedToken(typed ?? '');
      if (!checked.ok) return { outcome: 'failed', message: checked.problem };
      const worker = sync();
      if (!worker?.enrol) return { outcome: 'failed', message: 'Sync is off on this kiosk: no central API is configured to enrol with.' };
      try {
        await worker.enrol(checked.token);
        return { outcome: 'done', message: 'The kiosk is enrolled; sync started.' };
      } catch (error) {
        return { outcome: 'failed', message: `Enrolment failed: ${toKioskError(error).message}` };
      }
    },
    requeue_dead_letters: async () => {
      const count = ledger.requeueDead();
      if (count > 0) sync()?.wake('network-up');
      return { outcome: 'done', message: count === 0 ? 'There are no dead letters.' : `${count} dead letters are queued again and will be sent with the next sync.` };
    },
    export_dead_letters: async () => {
      const deadLetters = ledger.deadLetters(1_000);
      const file = path.join(options.dataDir, DEAD_LETTERS_FILE);
      writeJsonAtomic(file, { exportedAt: now().toISOString(), deviceId: ledger.deviceId, deadLetters });
      return { outcome: 'done', message: `${deadLetters.length} dead letters, with their reasons, written to ${file}.`, deadLetters };
    },
    test_capture: async () => ({
      outcome: 'done',
      message: 'A test capture is recorded in the chain as a service event: it is signed and synced like a consent, and is never one.',
    }),
    restart: async () => {
      setTimeout(options.restart, 200).unref();
      return { outcome: 'done', message: 'The kiosk restarts now.' };
    },
  };

  return {
    technicianBegin: async ({ code }) => {
      if (options.customerStepOpen()) {
        throw new KioskFailure('forbidden', 'Technician mode opens only from the attract screen, never during a customer’s step.');
      }
      if (!options.codes) throw new KioskFailure('forbidden', 'No technician is provisioned on this terminal (KIOSK_TECHNICIANS_FILE).');
      const at = now().getTime();
      const verdict = lockout.attempt(at);
      if (!verdict.allowed) throw new KioskFailure('forbidden', verdict.sentence);
      const checked = options.codes.check(code, now());
      if (!checked.ok) {
        const { sentence, lockedNow } = lockout.failed(at);
        if (lockedNow) record('locked_out', 'done', sentence, null);
        throw new KioskFailure('unauthorized', sentence);
      }
      lockout.succeeded();
      end('A new technician session replaced this one.');
      session = { id: randomBytes(18).toString('base64url'), technician: checked.technician, openedAt: at, timer: setTimeout(() => {}, 0) };
      touch(session.id);
      record('session_started', 'done', 'Technician mode opened from the attract screen.');
      return { session: session.id, technician: checked.technician, idleSeconds: Math.round(idleMs / 1000) };
    },

    technicianDiagnostics: async ({ session: id }) => {
      touch(id);
      const status = ledger.status();
      const worker = sync();
      const syncStatus = worker?.status() ?? { state: 'disabled' as const, lastSuccessAt: null, lastError: null };
      const clock = ledger.clockReading();
      let freeDiskBytes: number | null = null;
      try {
        const fs = statfsSync(options.dataDir);
        freeDiskBytes = fs.bavail * fs.bsize;
      } catch {
        freeDiskBytes = null;
      }
      return {
        deviceId: status.deviceId,
        keyId: status.keyId,
        keyFingerprint: `SHA256:${sha256Hex(Buffer.from(ledger.publicKey, 'base64url'))}`,
        enrolment: !worker || syncStatus.state === 'disabled' ? 'sync_off' : syncStatus.state === 'needs_enrolment' ? 'not_enrolled' : 'enrolled',
        sync: syncStatus,
        apiUrl: apiUrl(),
        outbox: status.outbox,
        clock: { offsetMs: clock?.offsetMs ?? null, knownGood: clock?.knownGood ?? false, observedAgoMs: clock?.ageMs ?? null },
        freeDiskBytes,
        profile: options.profileGuard.describe(),
        appVersion: options.appVersion,
        apiReachable,
        integrity,
      };
    },

    technicianAction: async ({ session: id, action, token }) => {
      touch(id);
      const result = await actions[action](token);
      // an enrolment token is a secret until used: the event says only how it went
      record(ACTION_EVENT[action], result.outcome, result.message);
      return result;
    },

    technicianEnd: async ({ session: id }) => {
      if (session?.id === id) end('The technician left technician mode.');
      return {};
    },

    close: () => {
      if (session) clearTimeout(session.timer);
    },
  };
}
