import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { toKioskError } from '../../shared/contract/errors.ts';
import type { Profile } from '../../shared/contract/profile.ts';
import type { SyncStatus } from '../../shared/contract/status.ts';
import type { LedgerClock } from '../ledger/clock.ts';
import { openFileKeyVault } from '../ledger/file-key-vault.ts';
import type { KeyVault } from '../ledger/key-vault.ts';
import { openLedger, type Ledger } from '../ledger/ledger.ts';
import { createDispatch, type Dispatch } from './dispatch.ts';
import { FlowSessions } from './flow-sessions.ts';
import { createIntegrationApi } from './integration-api.ts';
import { createKioskHandlers } from './kiosk-handlers.ts';
import { serveOnLoopback, type LoopbackServer } from './loopback-server.ts';
import { loadProfile } from './profile-file.ts';

/** The seam for the sync worker: the host starts it over its ledger, wakes it on capture, shows its state. */
export type SyncWorker = { status(): SyncStatus; wake(reason?: 'capture' | 'network-up'): void; stop(): Promise<void> };
export type SyncWorkerFactory = (ledger: Ledger, profile: Profile) => SyncWorker;

export const SYNC_DISABLED: SyncStatus = { state: 'disabled', lastSuccessAt: null, lastError: null };

/** How often the retention job looks for personal data past its retention period (and once at start). */
export const RETENTION_INTERVAL_MS = 60 * 60_000;

export type HostOptions = {
  dataDir: string;
  profilePath: string;
  /** Defaults to the development file vault; the Electron shell passes its safeStorage vault. */
  vault?: KeyVault;
  clock?: LedgerClock;
  retentionDays?: number;
  sync?: SyncWorkerFactory;
  /**
   * The host integration API starts when a flow takes verified numbers from it. Its token comes from here or is
   * generated and written, with the URL, to `<dataDir>/integration.json` (mode 0600) for the terminal software.
   */
  integration?: { port?: number; token?: string };
  log?: (line: string) => void;
};

export type Host = {
  profile: Profile;
  ledger: Ledger;
  dispatch: Dispatch;
  integration: { origin: string; token: string } | null;
  /** The network is back (the Electron shell hears it from Chromium): sync now, even during a backoff. */
  networkIsUp(): void;
  close(): Promise<void>;
};

/** The composition root: one profile, one ledger, one key vault, one implementation of the kiosk's API. */
export async function createHost(options: HostOptions): Promise<Host> {
  const log = options.log ?? console.error;
  const profile = loadProfile(options.profilePath);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const vault = options.vault ?? openFileKeyVault(options.dataDir, { warn: log });
  const clock = options.clock;
  const ledger = openLedger({
    dataDir: options.dataDir,
    vault,
    clock,
    retentionDays: options.retentionDays,
  });
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
  const sessions = new FlowSessions({ now: clock ? () => clock.now().getTime() : undefined });
  const sync = options.sync?.(ledger, profile);
  const dispatch = createDispatch(
    createKioskHandlers({
      profile,
      ledger,
      sessions,
      syncStatus: () => sync?.status() ?? SYNC_DISABLED,
      onCaptured: () => sync?.wake(),
    }),
    log,
  );

  let integrationServer: LoopbackServer | null = null;
  let integration: Host['integration'] = null;
  if (profile.flows.some((flow) => flow.verifiedSubject.kind === 'integration')) {
    const token = options.integration?.token ?? randomBytes(32).toString('base64url');
    integrationServer = await serveOnLoopback(createIntegrationApi({ profile, sessions, token }), options.integration?.port);
    integration = { origin: integrationServer.origin, token };
    writeFileSync(path.join(options.dataDir, 'integration.json'), `${JSON.stringify(integration)}\n`, { mode: 0o600 });
  }

  return {
    profile,
    ledger,
    dispatch,
    integration,
    networkIsUp: () => sync?.wake('network-up'),
    close: async () => {
      clearInterval(retention);
      await integrationServer?.close();
      await sync?.stop();
      ledger.close();
    },
  };
}
