import { useState, type FormEvent } from 'react';
import { ConsoleSession } from '../../shared/contract/console.ts';
import { postJson } from '../api.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (session: ConsoleSession) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    postJson('/login', { username: String(form.get('username')), password: String(form.get('password')) }, ConsoleSession)
      .then(onSignedIn, (failure: unknown) => setError(failure instanceof Error ? failure.message : 'Sign-in failed.'))
      .finally(() => setBusy(false));
  };

  return (
    <main className="sign-in">
      <h1>Consent console</h1>
      <form onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
        <label htmlFor="username">Username</label>
        <input id="username" name="username" autoComplete="username" required autoCapitalize="none" spellCheck={false} />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p id="sign-in-error" role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
