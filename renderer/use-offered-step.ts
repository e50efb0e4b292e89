import { useEffect, useRef } from 'react';
import type { StepView } from '../shared/contract/kiosk-api.ts';
import { callKiosk } from './kiosk-call.ts';

const POLL_MS = 20_000;
const RETRY_MS = 1_000;
/** An answer faster than this that changes nothing means the host is not waiting: pause before asking again. */
const TOO_FAST_MS = 200;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keeps asking the host (a long poll) which step the terminal's application has offered, and calls `onChange` with
 * a new step, or with null when the step on screen was ended from outside (the host cancelled, a deadline passed,
 * the host application went away); `onHeadphones` when the terminal's application reports headphones plugged in
 * or out. `forget()` says the renderer itself left the step (answered, reset): its end then wipes nothing a second
 * time.
 *
 * When the host's profile is no longer the revision this screen started with (a new one came into force between
 * customers), it stops asking and calls `onProfileMoved`: a step of the new profile must never be drawn with the
 * old one, so the kiosk reloads its profile and starts again (KioskLoader).
 */
export function useOfferedStep(
  onChange: (step: StepView | null) => void,
  onHeadphones: (present: boolean) => void,
  onProfileMoved: () => void,
) {
  const handler = useRef(onChange);
  handler.current = onChange;
  const headphonesHandler = useRef(onHeadphones);
  headphonesHandler.current = onHeadphones;
  const moved = useRef(onProfileMoved);
  moved.current = onProfileMoved;
  const headphones = useRef(false);
  const known = useRef<string | null>(null);
  const showing = useRef<string | null>(null);
  const profileRevision = useRef<number | undefined>(undefined);

  useEffect(() => {
    let active = true;
    const follow = async () => {
      while (active) {
        const asked = Date.now();
        const result = await callKiosk('awaitStep', {
          known: known.current,
          knownProfile: profileRevision.current,
          waitMs: POLL_MS,
          headphones: headphones.current,
        });
        if (!active) return;
        if (!result.ok) {
          await pause(RETRY_MS);
          continue;
        }
        if (profileRevision.current !== undefined && result.value.profileRevision !== profileRevision.current) {
          moved.current();
          return;
        }
        profileRevision.current = result.value.profileRevision;
        const step = result.value.step;
        const id = step?.stepId ?? null;
        const plugged = result.value.headphones !== headphones.current;
        if (plugged) {
          headphones.current = result.value.headphones;
          headphonesHandler.current(headphones.current);
        }
        if (id === known.current) {
          if (!plugged && Date.now() - asked < TOO_FAST_MS) await pause(RETRY_MS);
          continue;
        }
        known.current = id;
        if (step) {
          showing.current = id;
          handler.current(step);
        } else if (showing.current !== null) {
          showing.current = null;
          handler.current(null);
        }
      }
    };
    void follow();
    return () => {
      active = false;
    };
  }, []);

  return {
    forget: () => {
      showing.current = null;
    },
  };
}
