import { useEffect, useState } from 'react';
import type { Profile } from '../shared/contract/profile.ts';
import { TextProvider, useText } from './i18n/use-text.tsx';
import { callKiosk } from './kiosk-call.ts';
import { Kiosk } from './Kiosk.tsx';

const attempts = 20;
const retryMs = 500;

/**
 * Asks the host for the profile, retrying while the shell's bridge comes up; null when it never answers. main.tsx
 * asks before React starts, so the answer is on its way while the first render runs.
 */
export async function loadProfile(): Promise<Profile | null> {
  for (let attempt = 1; ; attempt++) {
    const result = await callKiosk('getProfile', {});
    if (result.ok) return result.value;
    if (attempt === attempts) return null;
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

function StartupHeading({ unavailable }: { unavailable: boolean }) {
  const text = useText();
  return <h1 role="status">{text(unavailable ? 'app.unavailable' : 'app.loading')}</h1>;
}

function StartupMessage({ unavailable }: { unavailable: boolean }) {
  return (
    <TextProvider locale="en">
      <main className="startup">
        <StartupHeading unavailable={unavailable} />
      </main>
    </TextProvider>
  );
}

/**
 * The kiosk once its profile is there; until then a loading message, and a plain one if the host never answers.
 * (Not Suspense: React holds back a suspended boundary's content for up to 300 ms to avoid flicker, which here
 * would only delay the first screen.)
 *
 * A new profile in force on the host (a remote one, switched between customers) is fetched at once and taken on at
 * the attract screen: the kiosk is mounted afresh with it (brand, flows, notices, languages), without a page reload.
 */
export function KioskLoader({ profile, search }: { profile: Promise<Profile | null>; search: string }) {
  const [loaded, setLoaded] = useState<Profile | null | undefined>(undefined);
  const [next, setNext] = useState<Profile | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    void profile.then((value) => current && setLoaded(value));
    return () => {
      current = false;
    };
  }, [profile]);

  const profileMoved = () => void loadProfile().then((value) => value && setNext(value));
  const adopt = () => {
    if (!next) return;
    setLoaded(next);
    setNext(null);
    setGeneration((current) => current + 1);
  };

  if (loaded) return <Kiosk key={generation} profile={loaded} search={search} onProfileMoved={profileMoved} newProfile={next !== null} adoptProfile={adopt} />;
  return <StartupMessage unavailable={loaded === null} />;
}
