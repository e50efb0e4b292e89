import './technician.css';
import { useState } from 'react';
import { DiagnosticsScreen } from './DiagnosticsScreen.tsx';
import { TechnicianSignIn } from './TechnicianSignIn.tsx';

/** Sign-in, then the diagnostics screen; leaving (or the kiosk's idle reset) unmounts it and ends the session. */
export function TechnicianMode({ onLeave }: { onLeave: () => void }) {
  const [opened, setOpened] = useState<{ session: string; technician: string } | null>(null);
  return opened ? (
    <DiagnosticsScreen session={opened.session} technician={opened.technician} onLeave={onLeave} />
  ) : (
    <TechnicianSignIn onOpened={setOpened} onCancel={onLeave} />
  );
}
