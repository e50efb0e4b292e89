import type { SqlQueries } from './sql.ts';

/** Every operator action and registry change, for the audit: what, on what, when. Never a phone number. */
export function createOperatorLog(db: SqlQueries, now: () => Date) {
  return {
    /** Inside the transaction (`tx`) that makes the change. */
    async record(tx: SqlQueries, action: string, target: string | null, detail?: Record<string, unknown>): Promise<void> {
      await tx.run('INSERT INTO operator_actions (at, action, target, detail) VALUES (?, ?, ?, ?)', [now().toISOString(), action, target, detail === undefined ? null : JSON.stringify(detail)]);
    },
    about: async (target: string) =>
      (await db.all<{ at: string; action: string; detail: string | null }>('SELECT at, action, detail FROM operator_actions WHERE target = ? ORDER BY id', [target])).map((row) => ({
        at: row.at,
        action: row.action,
        detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
      })),
  };
}

export type OperatorLog = ReturnType<typeof createOperatorLog>;
