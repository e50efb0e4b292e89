import { useEffect, useState } from 'react';
import { ConsoleAuditLog, type ConsoleAuditEntry } from '../../shared/contract/console.ts';
import { getJson } from '../api.ts';
import { failureText, utc } from '../format.ts';

/** The newest console actions, as the append-only log holds them. */
export function AuditLog() {
  const [entries, setEntries] = useState<ConsoleAuditEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => void getJson('/audit-log', ConsoleAuditLog).then((log) => setEntries(log.entries), (failure: unknown) => setError(failureText(failure))), []);
  return (
    <>
      <h1>Audit log</h1>
      <p>Every console action, newest first. The log cannot be changed: the database refuses updates and deletions.</p>
      {error && <p role="alert" className="error">{error}</p>}
      {entries && (
        <table>
          <caption>Console actions</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">About</th>
              <th scope="col">Answer</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td>{utc(entry.at)}</td>
                <td>{entry.username ? `${entry.username}${entry.role ? ` (${entry.role})` : ''}` : '—'}</td>
                <td>{entry.action}</td>
                <td>{entry.target ?? '—'}</td>
                <td>{entry.status < 400 ? `done (${entry.status})` : `refused (${entry.status})`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
