import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The kiosk as its systemd unit would run it, from a tree the package was installed into (a scratch root). There
 * is no systemd here (this machine is a container), so what the unit says is read from the installed unit and done
 * by hand: its Environment= and EnvironmentFile= settings, its user, its credential directory, its ExecStart.
 * Package paths (/usr/lib/consent-kiosk, /etc/consent-kiosk, /var/lib/consent-kiosk) are moved into the scratch
 * root; /usr/bin/cage and /usr/bin/chromium are this machine's, as they would be the terminal's.
 */
export const UNIT = 'lib/systemd/system/consent-kiosk-chromium.service';

type Account = { uid: number; gid: number };

function serviceSettings(root: string): Array<[string, string]> {
  const text = fs.readFileSync(path.join(root, UNIT), 'utf8');
  const service = text.slice(text.indexOf('[Service]'), text.indexOf('[Install]'));
  return service
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
}

/** KEY=VALUE lines as systemd's EnvironmentFile= reads them (comments, blank lines, double quotes). */
function environmentFile(file: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).replace(/^"(.*)"$/, '$1')]),
  );
}

/** The package's user, from the scratch root's own /etc/passwd (its postinst made it there). */
export function packageAccount(root: string, name: string): Account {
  const line = fs.readFileSync(path.join(root, 'etc', 'passwd'), 'utf8').split('\n').find((entry) => entry.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name} in ${root}/etc/passwd`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export type UnitRun = {
  child: ChildProcess;
  output(): string;
  /** Stops it as systemd would (SIGTERM), then anything it left behind; resolves with its exit status. */
  stop(): Promise<number | null>;
};

/** Every process below `pid` now (children of children too), from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // it has gone meanwhile
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/**
 * Runs the unit's ExecStart (`withCage: false` leaves cage out: the host then has no display and prints its URL)
 * as the package's user, with the unit's environment plus `overrides`.
 */
export function runUnit(root: string, options: { withCage: boolean; account: Account | null; overrides: Record<string, string> }): UnitRun {
  const settings = serviceSettings(root);
  const fromUnit = Object.fromEntries(
    settings.filter(([key]) => key === 'Environment').map(([, assignment]) => [assignment.slice(0, assignment.indexOf('=')), assignment.slice(assignment.indexOf('=') + 1)]),
  );
  const files = settings.filter(([key]) => key === 'EnvironmentFile').map(([, file]) => environmentFile(path.join(root, file)));
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', ...fromUnit, ...Object.assign({}, ...files) };
  for (const key of ['KIOSK_DATA_DIR', 'KIOSK_PROFILE', 'KIOSK_PROFILE_KEY', 'HOME']) env[key] = path.join(root, env[key]!);
  Object.assign(env, options.overrides);

  const [, execStart] = settings.find(([key]) => key === 'ExecStart')!;
  const words = execStart.split(/\s+/).map((word) => (word.startsWith('/usr/lib/consent-kiosk/') ? path.join(root, word) : word));
  const command = options.withCage ? words : words.slice(words.indexOf('--') + 1);
  const child = spawn(command[0]!, command.slice(1), {
    cwd: '/',
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(options.account ?? {}),
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    async stop() {
      const left = descendants(child.pid!);
      const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve([child.exitCode]);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone, as it should be
        }
      }
      return code;
    },
  };
}

/** A directory the package's user owns (mode 0700), as systemd makes its runtime, cache and credential dirs. */
export function ownedDirectory(dir: string, account: Account | null): string {
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (account) fs.chownSync(dir, account.uid, account.gid);
  return dir;
}
