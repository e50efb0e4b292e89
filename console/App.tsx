import { useCallback, useEffect, useState } from 'react';
import { ConsoleSession, type ConsoleRole } from '../shared/contract/console.ts';
import { ConsoleApiError, getJson, postJson, rememberSession } from './api.ts';
import { z } from 'zod';
import { AuditLog } from './pages/AuditLog.tsx';
import { FleetPage } from './pages/FleetPage.tsx';
import { FunnelPage } from './pages/FunnelPage.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { SubjectPage } from './pages/SubjectPage.tsx';

type Page = 'fleet' | 'funnel' | 'subjects' | 'audit';

const PAGES: Record<Page, { title: string; roles: readonly ConsoleRole[] }> = {
  fleet: { title: 'Fleet', roles: ['operator'] },
  funnel: { title: 'Funnel', roles: ['operator'] },
  subjects: { title: 'Subjects', roles: ['compliance'] },
  audit: { title: 'Audit log', roles: ['operator', 'compliance'] },
};
const ROLE_NAMES: Record<ConsoleRole, string> = { operator: 'Operator', compliance: 'Compliance officer' };
const HOME: Record<ConsoleRole, Page> = { operator: 'fleet', compliance: 'subjects' };

const pageOf = (pathname: string): Page | null => {
  const name = pathname.replace(/^\/console\/?/, '');
  return name in PAGES ? (name as Page) : null;
};

export function App() {
  const [session, setSession] = useState<ConsoleSession | null | undefined>(undefined);
  const [page, setPage] = useState<Page | null>(pageOf(location.pathname));

  const signedIn = useCallback((next: ConsoleSession | null) => {
    rememberSession(next);
    setSession(next);
  }, []);

  useEffect(() => {
    getJson('/session', ConsoleSession).then(signedIn, (error: unknown) => {
      if (error instanceof ConsoleApiError && error.status === 401) signedIn(null);
      else throw error;
    });
    const onPop = () => setPage(pageOf(location.pathname));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, [signedIn]);

  useEffect(() => {
    document.title = session && page ? `${PAGES[page].title} · Consent console` : 'Consent console';
  }, [session, page]);

  const go = (next: Page) => {
    history.pushState(null, '', `/console/${next}`);
    setPage(next);
  };

  if (session === undefined) return <main className="loading">Loading…</main>;
  if (session === null) return <SignIn onSignedIn={signedIn} />;

  const shown = page ?? HOME[session.role];
  const allowed = PAGES[shown].roles.includes(session.role);
  const signOut = () => void postJson('/logout', {}, z.unknown()).finally(() => signedIn(null));

  return (
    <>
      <header className="top">
        <p className="brand">Consent console</p>
        <nav aria-label="Console pages">
          <ul>
            {(Object.keys(PAGES) as Page[])
              .filter((name) => PAGES[name].roles.includes(session.role))
              .map((name) => (
                <li key={name}>
                  <a href={`/console/${name}`} aria-current={name === shown ? 'page' : undefined} onClick={(event) => (event.preventDefault(), go(name))}>
                    {PAGES[name].title}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <p className="who">
          Signed in as <strong>{session.username}</strong> ({ROLE_NAMES[session.role]})
        </p>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {!allowed ? (
          <p role="alert" className="error">
            The {PAGES[shown].title} page is not for the {ROLE_NAMES[session.role].toLowerCase()} role.
          </p>
        ) : shown === 'fleet' ? (
          <FleetPage />
        ) : shown === 'funnel' ? (
          <FunnelPage />
        ) : shown === 'subjects' ? (
          <SubjectPage />
        ) : (
          <AuditLog />
        )}
      </main>
    </>
  );
}
