import { useEffect, useRef, useState } from 'react';
import type { IdleTiming } from './idle-timing.ts';

const activityEvents = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;

/**
 * While `active`, counts inactivity; after `timeoutSeconds` it reports the seconds left in the warning, and when
 * the warning runs out it calls `onTimeout`. Only an explicit `keepAlive` (the dialog's Continue) ends a warning.
 */
export function useIdle(active: boolean, timing: IdleTiming, onTimeout: () => void) {
  const [warningSince, setWarningSince] = useState<number | null>(null);
  const [now, setNow] = useState(0);
  const timeoutHandler = useRef(onTimeout);
  timeoutHandler.current = onTimeout;
  const warning = active && warningSince !== null;

  useEffect(() => {
    if (!active || warning) return;
    const startWarning = () => {
      setWarningSince(Date.now());
      setNow(Date.now());
    };
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

  // The reset is one timer for the whole warning; the per-second tick only redraws the countdown.
  useEffect(() => {
    if (!warning) return;
    const reset = setTimeout(() => {
      setWarningSince(null);
      timeoutHandler.current();
    }, timing.warningSeconds * 1000);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearTimeout(reset);
      clearInterval(tick);
    };
  }, [warning, timing]);

  const secondsLeft =
    warning && warningSince !== null
      ? Math.max(0, timing.warningSeconds - Math.floor((now - warningSince) / 1000))
      : null;
  return { warningLeft: secondsLeft, keepAlive: () => setWarningSince(null) };
}
