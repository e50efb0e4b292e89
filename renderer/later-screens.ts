import { useEffect, useSyncExternalStore } from 'react';
import type * as Screens from './screens/later-screens.ts';

export type LaterScreens = typeof Screens;

/**
 * The opt-in step, "Stop WhatsApp messages" and technician mode come in a chunk of their own, with what only they
 * need (libphonenumber and its metadata, the consent review, the keypad), so the attract screen's script is about
 * half as large. The chunk is asked for once the first screen is up; a step offered before it has arrived shows
 * when it has (on loopback, milliseconds).
 */
let loaded: LaterScreens | null = null;
let loading: Promise<LaterScreens> | null = null;
const listeners = new Set<() => void>();

export function loadLaterScreens(): Promise<LaterScreens> {
  loading ??= import('./screens/later-screens.ts').then(
    (screens) => {
      loaded = screens;
      for (const listener of listeners) listener();
      return screens;
    },
    (error: unknown) => {
      loading = null; // the next call asks again
      throw error;
    },
  );
  return loading;
}

const RETRY_MS = 500;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The later screens once loaded (null until then); mounting asks for them after the first screen's render. */
export function useLaterScreens(): LaterScreens | null {
  const screens = useSyncExternalStore(subscribe, () => loaded);
  useEffect(() => {
    if (loaded) return;
    let timer = setTimeout(function attempt() {
      loadLaterScreens().catch(() => {
        timer = setTimeout(attempt, RETRY_MS);
      });
    }, 0);
    return () => clearTimeout(timer);
  }, []);
  return screens;
}
