import { spawn, type ChildProcess } from 'node:child_process';
import { constants, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { configEnv, type ServerConfigInput } from './config.ts';

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
 * kiosk's local reference API. If it exits first, the rejection carries the sentence it printed on stderr (why it
 * refused to start). `background` runs it at the lowest CPU priority, so that its start-up (node, its database, the
 * verify threads) takes only CPU that what it runs beside leaves over.
 */
export async function spawnServer(config: ServerConfigInput, { background = false } = {}): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...configEnv({ ...config, port: config.port ?? 0 }) };
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (background && child.pid) {
    try {
      // set before the process creates its worker threads, which inherit it
      setPriority(child.pid, constants.priority.PRIORITY_LOW);
    } catch {
      // it has exited already, which is reported below
    }
  }
  let lastError = '';
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith('consent API failed to start: ')) lastError = line;
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^consent API listening on (http:\/\/\S+)$/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`the consent API exited (${String(code)}) before listening${lastError ? `: ${lastError}` : ''}`)));
  });
  return { url, child, exited };
}
