import { useEffect, useState } from 'react';
import type { KioskStatus } from '../../shared/contract/status.ts';
import { callKiosk } from '../kiosk-call.ts';
import { useText } from '../i18n/use-text.ts';

const pollMs = 10_000;

type Reading = { tone: 'ok' | 'pending' | 'offline' | 'attention' | 'unknown'; count: number };

function read(status: KioskStatus | null): Reading {
  if (!status) return { tone: 'unknown', count: 0 };
  const count = status.outbox.pending;
  if (status.outbox.dead > 0 || status.sync.state === 'needs_enrolment') return { tone: 'attention', count };
  if (count === 0) return { tone: 'ok', count };
  return { tone: status.sync.state === 'offline' ? 'offline' : 'pending', count };
}

const messages = {
  ok: 'sync.synced',
  pending: 'sync.pending',
  offline: 'sync.offline',
  attention: 'sync.attention',
  unknown: 'sync.unknown',
} as const;

/** A calm footer line for a technician: how many consent records still wait to reach the central API. */
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
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  const { tone, count } = read(status);
  return (
    <p className={`sync sync-${tone}`}>
      <span className="sync-dot" aria-hidden="true" />
      {text(messages[tone], { count })}
    </p>
  );
}
