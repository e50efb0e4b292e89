import { useRef } from 'react';
import { useText } from '../i18n/use-text.tsx';

/** Taps on the service corner within this window, this many times, open the technician sign-in. */
const TAPS = 5;
const WITHIN_MS = 3_000;

/**
 * The service gesture: five taps within three seconds on the attract screen's bottom-left corner. Mounted by the
 * attract screen only, so no customer step can reach it; opening it still needs a technician's one-time code.
 */
export function ServiceGesture({ onOpen }: { onOpen: () => void }) {
  const text = useText();
  const taps = useRef<number[]>([]);
  const tap = () => {
    const now = performance.now();
    taps.current = [...taps.current.filter((at) => now - at < WITHIN_MS), now];
    if (taps.current.length >= TAPS) {
      taps.current = [];
      onOpen();
    }
  };
  return <button type="button" className="service-corner" aria-label={text('technician.service')} onClick={tap} />;
}
