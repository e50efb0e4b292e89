import { Command, Option } from 'commander';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ConsolePassword, ConsoleRole, ConsoleUsername } from '../../shared/contract/console.ts';
import { parseOrFail } from '../../shared/contract/errors.ts';
import { loadServerConfig } from '../config.ts';
import { openStore } from '../store/store.ts';

/** Asks on the terminal without echoing what is typed. */
function prompt(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

/** The first line of standard input, for scripts: `printf '%s\n' "$PASSWORD" | npm run console:account -- …`. */
async function firstLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return firstLine();
  const password = await prompt('Password (at least 12 characters): ');
  if ((await prompt('The same password again: ')) !== password) throw new Error('the two passwords differ');
  return password;
}

/**
 * `npm run console:account -- --username NAME --role operator|compliance [--data DIR] [--config FILE]`: creates a
 * console account (`--disable` instead: signs it out everywhere and refuses it from then on). The password is asked for on the terminal (not echoed) or read from standard input — never
 * taken from the command line, where every user of the machine can read it. Opens the same store as the server
 * (file, CONSENT_API_* variables and DATABASE_URL, as `npm run server:token` does), safe while the server runs.
 */
const options = new Command()
  .name('console:account')
  .description('Create a console account (operator or compliance officer); the password is read from the terminal or stdin')
  .requiredOption('-u, --username <name>', 'lower-case letters, digits, "_", "-" or "."')
  .addOption(new Option('-r, --role <role>', 'what the account may do').choices(ConsoleRole.options))
  .option('--disable', 'disable the account instead (signed out everywhere, refused from now on)')
  .option('-d, --data <dir>', 'the server data directory')
  .option('-c, --config <file>', 'the server JSON config file', process.env.CONSENT_API_CONFIG)
  .parse()
  .opts<{ username: string; role?: string; disable?: boolean; data?: string; config?: string }>();

const openConfiguredStore = () => openStore(loadServerConfig(options.config, { ...process.env, ...(options.data ? { CONSENT_API_DATA_DIR: options.data } : {}) }));

async function disable(username: string): Promise<void> {
  const store = await openConfiguredStore();
  try {
    if (!(await store.consoleAccounts.disable(username))) throw new Error(`there is no enabled account named ${username}`);
    await store.consoleAudit.record({ username: null, role: null, action: 'account_disabled', target: username, status: 200 });
  } finally {
    await store.close();
  }
  console.log(`console account ${username} disabled`);
}

async function create(username: string): Promise<void> {
  const role = parseOrFail(ConsoleRole, options.role, 'role (--role operator or --role compliance)');
  const password = parseOrFail(ConsolePassword, await readPassword(), 'password');
  const store = await openConfiguredStore();
  try {
    const outcome = await store.consoleAccounts.create(username, role, password);
    if (outcome === 'exists') throw new Error(`an account named ${username} already exists`);
    await store.consoleAudit.record({ username: null, role: null, action: 'account_created', target: `${username} (${role})`, status: 201 });
  } finally {
    await store.close();
  }
  console.log(`console account ${username} (${role}) created`);
}

try {
  const username = parseOrFail(ConsoleUsername, options.username, 'username');
  await (options.disable ? disable(username) : create(username));
} catch (error) {
  console.error(`console account not changed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
