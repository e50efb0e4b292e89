import { mkdirSync } from 'node:fs';
import { HOST_API_VERSION, type AnyHostCommand, type DegradedReason } from '../../shared/contract/host-api.ts';
import { defaultCredentialsPath, installSecret, writeCredentials } from './host-api-credentials.ts';
import type { HostConnection } from './host-connection.ts';
import { startHostApiServer, type HostApiServer } from './host-api-server.ts';
import { errorForReason } from './step-coordinator.ts';

export type DegradedHostApiOptions = {
  dataDir: string;
  reason: DegradedReason;
  port?: number;
  credentialsFile?: string;
  log?: (line: string) => void;
};

/**
 * What the host application hears from a kiosk that could not start (no valid profile, no usable key vault, no
 * ledger): the same API, Common.Status `degraded` with the reason, and every offer `failed` with it at once, so the
 * terminal's own transaction goes on without the step instead of finding the port closed.
 */
function degradedCoordinator(reason: DegradedReason) {
  const description = `The kiosk could not start (${reason}); the opt-in step cannot be offered.`;
  return {
    attach: () => {},
    detach: () => {},
    execute(conn: HostConnection, command: AnyHostCommand) {
      const { name, requestId } = command.header;
      switch (name) {
        case 'Common.Status':
          conn.complete(name, requestId, 'success', {
            apiVersion: HOST_API_VERSION,
            state: 'degraded',
            reasons: [reason],
            displayModel: 'transfer',
            session: null,
            flows: [],
          });
          return;
        case 'OptIn.Offer':
          conn.complete(name, requestId, 'commandErrorCode', {
            outcome: 'failed',
            sessionId: null,
            flowId: null,
            errorCode: errorForReason[reason],
            errorDescription: description,
          }, description);
          return;
        case 'OptIn.BeginSession':
          conn.complete(name, requestId, 'commandErrorCode', {}, description);
          return;
        case 'OptIn.QuerySession':
          conn.complete(name, requestId, 'invalidData', {}, 'The kiosk has no record of that session.');
          return;
        case 'Common.Cancel':
        case 'OptIn.EndSession':
          conn.complete(name, requestId, 'success', {});
      }
    },
  };
}

export async function startDegradedHostApi(options: DegradedHostApiOptions): Promise<HostApiServer & { credentialsFile: string }> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const credentialsFile = options.credentialsFile ?? defaultCredentialsPath(options.dataDir);
  const secret = installSecret(credentialsFile);
  const server = await startHostApiServer({ coordinator: degradedCoordinator(options.reason), secret, port: options.port, log: options.log });
  writeCredentials(credentialsFile, { url: server.url, secret });
  return { ...server, credentialsFile };
}
