import { hash, verify } from '@node-rs/argon2';
import { createHash, randomBytes } from 'node:crypto';
import type { ConsoleRole } from '../../shared/contract/console.ts';
import type { SqlDb } from './sql.ts';

export interface ConsoleAccount {
  username: string;
  role: ConsoleRole;
}

export interface OpenSession extends ConsoleAccount {
  csrfToken: string;
  expiresAt: string;
}

/** A session ends this long after sign-in, however busy it was: a console left open on a shared desk signs out. */
export const SESSION_MS = 8 * 60 * 60_000;

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');

// argon2id with @node-rs/argon2's defaults (19 MiB, 2 passes: OWASP's minimum); an unknown username is checked
// against this too, so the answer takes as long whether or not the account exists
const UNKNOWN_ACCOUNT_HASH = hash(randomBytes(16).toString('hex'));

/**
 * Console accounts (argon2id password hashes) and their sessions (only the SHA-256 of a session token is kept, so
 * a copy of the database signs no one in).
 */
export function createConsoleAccounts(db: SqlDb, now: () => Date) {
  return {
    async create(username: string, role: ConsoleRole, password: string): Promise<'created' | 'exists'> {
      const passwordHash = await hash(password);
      const { changes } = await db.run(
        'INSERT INTO console_accounts (username, role, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (username) DO NOTHING',
        [username, role, passwordHash, now().toISOString()],
      );
      return changes === 1 ? 'created' : 'exists';
    },

    /** Signs the account out everywhere and refuses it from now on; false if there is no such enabled account. */
    disable: (username: string): Promise<boolean> =>
      db.transaction(async (tx) => {
        const { changes } = await tx.run('UPDATE console_accounts SET disabled_at = ? WHERE username = ? AND disabled_at IS NULL', [now().toISOString(), username]);
        await tx.run('DELETE FROM console_sessions WHERE username = ?', [username]);
        return changes === 1;
      }),

    /** The account if the password is right and the account not disabled; null otherwise (which of them is not said). */
    async authenticate(username: string, password: string): Promise<ConsoleAccount | null> {
      const row = await db.get<{ role: ConsoleRole; passwordHash: string }>(
        'SELECT role, password_hash AS "passwordHash" FROM console_accounts WHERE username = ? AND disabled_at IS NULL',
        [username],
      );
      const matches = await verify(row?.passwordHash ?? (await UNKNOWN_ACCOUNT_HASH), password).catch(() => false);
      return row && matches ? { username, role: row.role } : null;
    },

    async openSession(account: ConsoleAccount): Promise<OpenSession & { token: string }> {
      const token = newToken();
      const csrfToken = newToken();
      const createdAt = now();
      const expiresAt = new Date(createdAt.getTime() + SESSION_MS).toISOString();
      await db.run('INSERT INTO console_sessions (token_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
        digest(token), account.username, csrfToken, createdAt.toISOString(), expiresAt,
      ]);
      return { ...account, token, csrfToken, expiresAt };
    },

    /** The session a cookie names, if it has not expired and its account is still enabled. */
    session: async (token: string): Promise<OpenSession | null> =>
      (await db.get<OpenSession>(
        `SELECT a.username, a.role, s.csrf_token AS "csrfToken", s.expires_at AS "expiresAt"
         FROM console_sessions s JOIN console_accounts a ON a.username = s.username
         WHERE s.token_hash = ? AND s.expires_at > ? AND a.disabled_at IS NULL`,
        [digest(token), now().toISOString()],
      )) ?? null,

    closeSession: async (token: string): Promise<void> => {
      await db.run('DELETE FROM console_sessions WHERE token_hash = ? OR expires_at <= ?', [digest(token), now().toISOString()]);
    },
  };
}

export type ConsoleAccounts = ReturnType<typeof createConsoleAccounts>;
