import { useEffect, useState } from 'react';
import type { KioskStatus } from '../../shared/contract/status.ts';
import { callKiosk } from '../kiosk-call.ts';
import { useText } from '../i18n/use-text.tsx';
import { onCapture, syncReading } from '../sync-reading.ts';

const pollMs = 10_000;

/** A calm footer line for a technician: whether sync runs, and how many consent records still wait for it. */
export function SyncIndicator() {
  const text = useText();
  const [status, setStatus] = useState<KioskStatus | null>(null);
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      const result = await callKiosk('getStatus', {});
      if (!stopped) setStatus(result.ok ? result.value : null);
    };
    void poll();
    const timer = setInterval(() => void poll(), pollMs);
    const stopListening = onCapture(() => void poll());
    return () => {
      stopped = true;
      clearInterval(timer);
      stopListening();
    };
  }, []);
  const { tone, message, count } = syncReading(status);
  return (
    <p className={`sync sync-${tone}`}>
      <span className="sync-dot" aria-hidden="true" />
      {text(message, { count })}
    </p>
  );
}
