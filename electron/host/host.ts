import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { toKioskError } from '../../shared/contract/errors.ts';
import type { DegradedReason } from '../../shared/contract/host-api.ts';
import type { SyncStatus } from '../../shared/contract/status.ts';
import type { Profile } from '../../shared/contract/profile.ts';
import type { LedgerClock } from '../ledger/clock.ts';
import { openFileKeyVault } from '../ledger/file-key-vault.ts';
import type { KeyVault } from '../ledger/key-vault.ts';
import { openLedger, type Ledger } from '../ledger/ledger.ts';
import { defaultCredentialsPath, installSecret, writeCredentials } from '../integration/host-api-credentials.ts';
import { startHostApiServer } from '../integration/host-api-server.ts';
import { kioskHealth } from '../integration/kiosk-health.ts';
import { sessionRecordPath } from '../integration/session-record.ts';
import { openProfileGuard, type ProfileGuard } from '../profile/profile-in-force.ts';
import { createProfileSwitch, type ProfileSwitch } from '../profile/profile-switch.ts';
import { readPinnedKey } from '../profile/provisioning-key.ts';
import type { LockoutPolicy } from '../technician/code-lockout.ts';
import { technicianCodes } from '../technician/technician-codes.ts';
import { createTechnicianDesk } from '../technician/technician-desk.ts';
import { createStepCoordinator, type StepCoordinatorOptions } from '../integration/step-coordinator.ts';
import { createDispatch, type Dispatch } from './dispatch.ts';
import { createKioskHandlers } from './kiosk-handlers.ts';

/** The seam for the sync worker: the host starts it over its ledger, wakes it on capture, shows its state. */
export type SyncWorker = {
  status(): SyncStatus;
  wake(reason?: 'capture' | 'network-up'): void;
  stop(): Promise<void>;
  /** Enrols with a one-time token a technician typed, then syncs. */
  enrol?(token: string): Promise<void>;
  apiUrl?: string;
};
/** `profile`: the profile on screen, which the worker reports with its heartbeat and to which it offers the API's newer one. */
export type SyncWorkerFactory = (ledger: Ledger, profile: ProfileSwitch) => SyncWorker;

export const SYNC_DISABLED: SyncStatus = { state: 'disabled', lastSuccessAt: null, lastError: null };

/** How often the retention job looks for personal data past its retention period (and once at start). */
export const RETENTION_INTERVAL_MS = 60 * 60_000;

export type HostOptions = {
  dataDir: string;
  /** The signed provisioning profile to offer; the last good one (in dataDir) stays in force when it is refused. */
  profilePath: string;
  /** The organisation's provisioning public key this terminal pins (SPKI PEM): only profiles it signed load. */
  profileKeyPath: string;
  /** Defaults to the development file vault; the Electron shell passes its safeStorage vault. */
  vault?: KeyVault;
  clock?: LedgerClock;
  retentionDays?: number;
  sync?: SyncWorkerFactory;
  /**
   * The Host Integration API (docs/host-integration.md): its port (default: any free one) and where its URL and
   * the per-install secret are written for the host application (default `<dataDir>/host-api.json`, mode 0600).
   */
  hostApi?: { port?: number; credentialsFile?: string } & Pick<StepCoordinatorOptions, 'showWithinMs' | 'displayGoneAfterMs'> & {
      heartbeatMs?: number;
    };
  /** Technician mode (docs/technician.md): who may open it (default `<dataDir>/technicians.json`), and how. */
  technician?: { file?: string; idleMs?: number; lockout?: LockoutPolicy; restart?: () => void };
  appVersion?: string;
  log?: (line: string) => void;
};

export type Host = {
  /** The profile on screen now: it changes only between customers (`profileSwitch`). */
  readonly profile: Profile;
  profileSwitch: ProfileSwitch;
  profileGuard: ProfileGuard;
  ledger: Ledger;
  dispatch: Dispatch;
  hostApi: { url: string; credentialsFile: string };
  /** A step has come on screen (true) or left it (false): the Electron shell raises or hides its window. */
  onDisplay(listener: (showing: boolean) => void): () => void;
  /** The network is back (the Electron shell hears it from Chromium): sync now, even during a backoff. */
  networkIsUp(): void;
  close(): Promise<void>;
};

/**
 * The kiosk could not start for a reason the terminal's application should hear (Common.Status `degraded`): the
 * shells then keep the Host Integration API answering, degraded, instead of leaving the host with a refused port.
 */
export class HostStartFailure extends Error {
  constructor(
    readonly reason: Extract<DegradedReason, 'noProfile' | 'noKey' | 'ledgerFull' | 'ledgerUnavailable'>,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'HostStartFailure';
  }
}

function startStage<T>(reason: HostStartFailure['reason'] | ((error: unknown) => HostStartFailure['reason']), open: () => T): T {
  try {
    return open();
  } catch (error) {
    throw new HostStartFailure(typeof reason === 'function' ? reason(error) : reason, error);
  }
}

/** The composition root: one profile, one ledger, one key vault, one implementation of the kiosk's API. */
export async function createHost(options: HostOptions): Promise<Host> {
  const log = options.log ?? console.error;
  const profileGuard = startStage('noProfile', () =>
    openProfileGuard({
      profilePath: options.profilePath,
      dataDir: options.dataDir,
      pin: readPinnedKey(options.profileKeyPath),
      now: () => options.clock?.now() ?? new Date(),
      log,
    }),
  );
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const vault = options.vault ?? startStage('noKey', () => openFileKeyVault(options.dataDir, { warn: log }));
  const clock = options.clock;
  const ledger = startStage(
    (error) => (toKioskError(error).code === 'storage_full' ? 'ledgerFull' : 'ledgerUnavailable'),
    () => openLedger({ dataDir: options.dataDir, vault, clock, retentionDays: options.retentionDays }),
  );
  const purgeExpired = () => {
    try {
      const erased = ledger.purgePersonalData();
      if (erased > 0) log(`retention: erased the personal data of ${erased} synced events`);
    } catch (error) {
      // The next run retries; a retention hiccup must not take the terminal down.
      log(`retention: ${toKioskError(error).message}`);
    }
  };
  purgeExpired();
  const retention = setInterval(purgeExpired, RETENTION_INTERVAL_MS);
  retention.unref();
  // The coordinator, made below, says when a customer is at the terminal; until then no profile switches.
  let customerPresent = () => true;
  const profile = createProfileSwitch({
    guard: profileGuard,
    customerPresent: () => customerPresent(),
    record: (action, outcome, detail) => {
      try {
        ledger.recordServiceEvent({ session: null, technician: null, action, outcome, detail: detail.slice(0, 300) });
        sync?.wake();
      } catch (error) {
        log(`profile: the ${action} service event could not be recorded: ${toKioskError(error).message}`);
      }
    },
    log,
  });
  const sync = options.sync?.(ledger, profile);
  const steps = createStepCoordinator({
    profile: profile.profile,
    profileRevision: profile.revision,
    terms: profile.terms,
    ledger,
    health: kioskHealth({ dataDir: options.dataDir }),
    recordFile: sessionRecordPath(options.dataDir),
    onCaptured: () => sync?.wake(),
    showWithinMs: options.hostApi?.showWithinMs,
    displayGoneAfterMs: options.hostApi?.displayGoneAfterMs,
    log,
  });
  customerPresent = steps.customerStepOpen;
  profile.onSwitch(steps.profileChanged);
  const technician = createTechnicianDesk({
    dataDir: options.dataDir,
    codes: technicianCodes(options.technician?.file ?? path.join(options.dataDir, 'technicians.json'), log),
    ledger,
    profileGuard,
    sync,
    customerStepOpen: steps.customerStepOpen,
    appVersion: options.appVersion ?? '0.0.0-dev',
    restart: options.technician?.restart ?? (() => process.kill(process.pid, 'SIGTERM')),
    idleMs: options.technician?.idleMs,
    lockout: options.technician?.lockout,
    log,
  });
  const dispatch = createDispatch(
    createKioskHandlers({
      technician,
      profile: profile.profile,
      profileRevision: profile.revision,
      terms: profile.terms,
      ledger,
      steps,
      syncStatus: () => sync?.status() ?? SYNC_DISABLED,
      onCaptured: () => sync?.wake(),
    }),
    log,
  );

  const credentialsFile = options.hostApi?.credentialsFile ?? defaultCredentialsPath(options.dataDir);
  const secret = installSecret(credentialsFile);
  const hostApiServer = await startHostApiServer({
    coordinator: steps,
    secret,
    port: options.hostApi?.port,
    heartbeatMs: options.hostApi?.heartbeatMs,
    log,
  }).catch((error: unknown) => {
    clearInterval(retention);
    profile.close();
    technician.close();
    ledger.close();
    throw error;
  });
  writeCredentials(credentialsFile, { url: hostApiServer.url, secret });

  return {
    get profile() {
      return profile.profile();
    },
    profileSwitch: profile,
    profileGuard,
    ledger,
    dispatch,
    hostApi: { url: hostApiServer.url, credentialsFile },
    onDisplay: steps.onDisplay,
    networkIsUp: () => sync?.wake('network-up'),
    close: async () => {
      clearInterval(retention);
      profile.close();
      await hostApiServer.close();
      technician.close();
      steps.close();
      await sync?.stop();
      ledger.close();
    },
  };
}
