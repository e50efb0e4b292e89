import type Database from 'better-sqlite3';

/** Every operator action and registry change, for the audit: what, on what, when. Never a phone number. */
export function createOperatorLog(db: Database.Database, now: () => Date) {
  const insert = db.prepare('INSERT INTO operator_actions (at, action, target, detail) VALUES (?, ?, ?, ?)');
  const select = db.prepare('SELECT at, action, target, detail FROM operator_actions WHERE target = ? ORDER BY id');
  return {
    record(action: string, target: string | null, detail?: Record<string, unknown>): void {
      insert.run(now().toISOString(), action, target, detail === undefined ? null : JSON.stringify(detail));
    },
    about: (target: string) =>
      (select.all(target) as { at: string; action: string; target: string; detail: string | null }[]).map((row) => ({
        at: row.at,
        action: row.action,
        detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
      })),
  };
}

export type OperatorLog = ReturnType<typeof createOperatorLog>;
