import { useEffect, useState } from 'react';
import { IntlProvider } from 'react-intl';
import type { Profile } from '../shared/contract/profile.ts';
import { catalogues } from './i18n/catalogues.ts';
import { useText } from './i18n/use-text.ts';
import { callKiosk } from './kiosk-call.ts';
import { Kiosk } from './Kiosk.tsx';

const attempts = 20;
const retryMs = 500;

type Load = { state: 'loading' } | { state: 'ready'; profile: Profile } | { state: 'unavailable' };

function StartupMessage({ unavailable }: { unavailable: boolean }) {
  const text = useText();
  return (
    <main className="startup">
      <h1 role="status">{text(unavailable ? 'app.unavailable' : 'app.loading')}</h1>
    </main>
  );
}

/** Fetches the profile from the host (retrying while the shell's bridge comes up), then runs the kiosk. */
export function KioskLoader({ search }: { search: string }) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  useEffect(() => {
    let stopped = false;
    const attempt = async (remaining: number) => {
      const result = await callKiosk('getProfile', {});
      if (stopped) return;
      if (result.ok) setLoad({ state: 'ready', profile: result.value });
      else if (remaining > 1) setTimeout(() => void attempt(remaining - 1), retryMs);
      else setLoad({ state: 'unavailable' });
    };
    void attempt(attempts);
    return () => {
      stopped = true;
    };
  }, []);

  if (load.state === 'ready') return <Kiosk profile={load.profile} search={search} />;
  return (
    <IntlProvider locale="en" messages={catalogues.en}>
      <StartupMessage unavailable={load.state === 'unavailable'} />
    </IntlProvider>
  );
}
