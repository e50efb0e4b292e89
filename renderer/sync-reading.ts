import type { KioskStatus } from '../shared/contract/status.ts';
import type { MessageId } from './i18n/en.ts';

export type SyncTone = 'ok' | 'pending' | 'syncing' | 'offline' | 'disabled' | 'attention' | 'unknown';
export type SyncReading = { tone: SyncTone; message: MessageId; count: number };

/**
 * What the footer may truthfully say. "All records synced" only when the worker is running, idle, and nothing waits;
 * with sync off, records kept on the kiosk are said to be kept, not synced.
 */
export function syncReading(status: KioskStatus | null): SyncReading {
  if (!status) return { tone: 'unknown', message: 'sync.unknown', count: 0 };
  const count = status.outbox.pending;
  if (status.outbox.dead > 0 || status.sync.state === 'needs_enrolment') return { tone: 'attention', message: 'sync.attention', count };
  switch (status.sync.state) {
    case 'disabled':
      return { tone: 'disabled', message: 'sync.disabled', count };
    case 'offline':
      return { tone: 'offline', message: 'sync.offline', count };
    case 'syncing':
      return { tone: 'syncing', message: 'sync.syncing', count };
    case 'idle':
      return count === 0 ? { tone: 'ok', message: 'sync.synced', count } : { tone: 'pending', message: 'sync.pending', count };
  }
}

const captured = 'kiosk:captured';

/** Tells the footer a capture was answered, so it reads the outbox again at once instead of at its next poll. */
export function announceCapture(): void {
  window.dispatchEvent(new Event(captured));
}

export function onCapture(listener: () => void): () => void {
  window.addEventListener(captured, listener);
  return () => window.removeEventListener(captured, listener);
}
