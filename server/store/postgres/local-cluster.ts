import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A PostgreSQL cluster of Debian's packages running on this machine, under a directory of its own. */
export interface LocalCluster {
  /** A connection URL with the password, for the API's DATABASE_URL (an environment variable: never a command line). */
  url: string;
  /** The same without the password, for a line a person reads. */
  displayUrl: string;
  stop: () => Promise<void>;
}

export interface LocalClusterOptions {
  /** Created on first use; the cluster's files live in `data/` below it, its password in `password`. */
  dir: string;
  database?: string;
  /** A throwaway cluster for tests: no fsync (the API's own commits still wait for the WAL write). */
  throwaway?: boolean;
}

const USER = 'consent';

/** The newest installed server's binaries (PG_BIN overrides). */
function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL is not installed (apt-get install postgresql), or set PG_BIN to its bin directory');
  return join(root, newest, 'bin');
}

/** initdb refuses to run as root: as root the cluster belongs to the `postgres` user and its tools run as that user. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new Error('running as root needs the postgres user of Debian\'s postgresql package to own the cluster');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function tool(name: string, args: string[]): Promise<void> {
  const path = join(binDir(), name);
  const [command, argv] = serverUser() ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  try {
    await run(command, argv, { cwd: '/' });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`${name} failed: ${(stderr ?? String(error)).trim().split('\n').slice(-3).join(' ')}`, { cause: error });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A private file the server's user can read (as root: handed to `postgres`). */
function writePrivate(path: string, contents: string, owner: { uid: number; gid: number } | null): void {
  writeFileSync(path, contents, { mode: 0o600 });
  if (owner) chownSync(path, owner.uid, owner.gid);
}

/**
 * Starts (creating on first use) a cluster under `dir` (as root, every directory above it must let the postgres
 * user pass), listening on loopback only on a free port, with password
 * authentication for the one user `consent` (the password is made once and kept in `dir/password`, mode 0600), and
 * a database (`consent` unless named). No container and nothing beyond the `postgresql` package.
 */
export async function startLocalCluster({ dir, database = 'consent', throwaway = false }: LocalClusterOptions): Promise<LocalCluster> {
  const owner = serverUser();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const passwordFile = join(dir, 'password');
  if (!existsSync(join(data, 'PG_VERSION'))) {
    writePrivate(passwordFile, randomBytes(24).toString('base64url'), owner);
    await tool('initdb', ['-D', data, '-U', USER, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--locale=C']);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const port = await freePort();
  const settings = ['-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'];
  if (throwaway) settings.push('-c', 'fsync=off', '-c', 'full_page_writes=off');
  await tool('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', '-o', settings.join(' '), 'start']);
  const stop = () => tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  try {
    const admin = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (rowCount === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const base = `127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { url: `postgres://${USER}:${encodeURIComponent(password)}@${base}`, displayUrl: `postgres://${USER}@${base}`, stop };
}
