import { spawn, type ChildProcess } from 'node:child_process';
import { constants, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServerConfigInput } from './config.ts';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has gone. */
  exited: Promise<number | NodeJS.Signals | null>;
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/**
 * Runs the API as its own process (`node --import tsx server/main.ts`), configured through CONSENT_API_* variables,
 * and resolves with its URL once it prints its listening line: for tests that kill it mid-request, and for the
 * kiosk's local reference API. `background` runs it at the lowest CPU priority, so that its start-up (node, its
 * database, the verify threads) takes only CPU that what it runs beside leaves over.
 */
export async function spawnServer(config: ServerConfigInput, { background = false } = {}): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, CONSENT_API_DATA_DIR: config.dataDir, CONSENT_API_PORT: String(config.port ?? 0) };
  const optional: [string, string | number | undefined][] = [
    ['CONSENT_API_HOST', config.host],
    ['CONSENT_API_WEBHOOK_APP_SECRET', config.webhookAppSecret],
    ['CONSENT_API_WEBHOOK_VERIFY_TOKEN', config.webhookVerifyToken],
    ['CONSENT_API_ADMIN_TOKEN', config.adminToken],
    ['CONSENT_API_CONSENT_READER_TOKEN', config.consentReaderToken],
    ['CONSENT_API_DEV_ENROLMENT_TOKEN', config.devEnrolmentToken],
    ['CONSENT_API_BODY_LIMIT_BYTES', config.bodyLimitBytes],
  ];
  for (const [name, value] of optional) if (value !== undefined) env[name] = String(value);

  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  if (background && child.pid) {
    try {
      // set before the process creates its worker threads, which inherit it
      setPriority(child.pid, constants.priority.PRIORITY_LOW);
    } catch {
      // it has exited already, which is reported below
    }
  }
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^consent API listening on (http:\/\/\S+)$/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`the consent API exited (${String(code)}) before listening`)));
  });
  return { url, child, exited };
}
