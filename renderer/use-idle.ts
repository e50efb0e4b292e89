import { useEffect, useRef, useState } from 'react';
import type { IdleTiming } from './idle-timing.ts';

const activityEvents = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;

/**
 * While `active`, counts inactivity; after `timeoutSeconds` it returns the seconds left in the warning, and when
 * the warning runs out it calls `onTimeout`. Only an explicit `keepAlive` (the dialog's Continue) ends a warning.
 */
export function useIdle(active: boolean, timing: IdleTiming, onTimeout: () => void) {
  const [warningLeft, setWarningLeft] = useState<number | null>(null);
  const timeoutHandler = useRef(onTimeout);
  timeoutHandler.current = onTimeout;
  const warning = active && warningLeft !== null;

  useEffect(() => {
    if (!active || warning) return;
    const startWarning = () => setWarningLeft(timing.warningSeconds);
    let timer = setTimeout(startWarning, timing.timeoutSeconds * 1000);
    const onActivity = () => {
      clearTimeout(timer);
      timer = setTimeout(startWarning, timing.timeoutSeconds * 1000);
    };
    for (const name of activityEvents) document.addEventListener(name, onActivity, true);
    return () => {
      clearTimeout(timer);
      for (const name of activityEvents) document.removeEventListener(name, onActivity, true);
    };
  }, [active, warning, timing]);

  useEffect(() => {
    if (!warning || warningLeft === null) return;
    if (warningLeft <= 0) {
      setWarningLeft(null);
      timeoutHandler.current();
      return;
    }
    const tick = setTimeout(() => setWarningLeft(warningLeft - 1), 1000);
    return () => clearTimeout(tick);
  }, [warning, warningLeft]);

  return { warningLeft: warning ? warningLeft : null, keepAlive: () => setWarningLeft(null) };
}
