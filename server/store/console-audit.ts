import type { ConsoleAuditEntry, ConsoleRole } from '../../shared/contract/console.ts';
import type { SqlDb } from './sql.ts';

export interface ConsoleAction {
  username: string | null;
  role: ConsoleRole | null;
  action: string;
  /** What it was about: a device id, a business, a masked number — never a full phone number. */
  target: string | null;
  /** Kept for the auditor (a keyed hash of a number looked up, what an erasure removed); not shown on the page. */
  detail?: Record<string, unknown>;
  status: number;
}

/**
 * The console's audit log: who did what, when, with what outcome. Append-only — the database itself refuses to
 * update or delete a row (triggers, migration 7 on SQLite, 2 on PostgreSQL).
 */
export function createConsoleAudit(db: SqlDb, now: () => Date) {
  return {
    async record(entry: ConsoleAction): Promise<void> {
      await db.run('INSERT INTO console_actions (at, username, role, action, target, detail, status) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        now().toISOString(), entry.username, entry.role, entry.action, entry.target, entry.detail === undefined ? null : JSON.stringify(entry.detail), entry.status,
      ]);
    },

    /** Newest first. */
    latest: (limit: number): Promise<ConsoleAuditEntry[]> =>
      db.all<ConsoleAuditEntry>('SELECT CAST(id AS INTEGER) AS id, at, username, role, action, target, status FROM console_actions ORDER BY id DESC LIMIT ?', [limit]),

    /** Failed sign-ins for `username` since `since`: the lock-out counts them. */
    failedLogins: async (username: string, since: string): Promise<number> =>
      Number(
        (await db.value<number | string>(`SELECT COUNT(*) FROM console_actions WHERE username = ? AND action = 'login' AND status = 401 AND at > ?`, [username, since])) ?? 0,
      ),
  };
}

export type ConsoleAudit = ReturnType<typeof createConsoleAudit>;
