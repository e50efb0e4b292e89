import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

/** A release step that cannot go on: one sentence for the build's output. */
export class ReleaseError extends Error {}

/** Runs a build tool; its output is returned, and a failure ends the release with the tool's last error line. */
export function runTool(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw new ReleaseError(`${command} could not be run (${(result.error as NodeJS.ErrnoException).code ?? result.error.message}).`);
  if (result.status !== 0) {
    const said = `${String(result.stderr ?? '')}\n${String(result.stdout ?? '')}`.trim().split('\n').filter(Boolean).at(0);
    throw new ReleaseError(`${command} ${args[0] ?? ''} failed${said ? `: ${said}` : ` with status ${result.status}`}.`);
  }
  return String(result.stdout ?? '');
}
