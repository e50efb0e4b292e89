import { useCallback, useEffect, useRef, useState } from 'react';
import type { Diagnostics, TechnicianActionName, TechnicianActionResult } from '../../shared/contract/technician.ts';
import { callKiosk } from '../kiosk-call.ts';

/** The open technician session on the host, and what its screen calls; the session ends when the screen goes. */
export function useTechnicianSession(session: string) {
  const [diagnostics, setDiagnostics] = useState<Diagnostics | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  const current = useRef(session);

  const refresh = useCallback(async () => {
    const answer = await callKiosk('technicianDiagnostics', { session: current.current });
    if (answer.ok) setDiagnostics(answer.value);
    else setEnded(answer.error.message);
  }, []);

  const act = useCallback(
    async (action: TechnicianActionName, token?: string): Promise<TechnicianActionResult> => {
      const answer = await callKiosk('technicianAction', { session: current.current, action, ...(token !== undefined ? { token } : {}) });
      if (!answer.ok) {
        setEnded(answer.error.message);
        return { outcome: 'failed', message: answer.error.message };
      }
      await refresh();
      return answer.value;
    },
    [refresh],
  );

  useEffect(() => {
    void refresh();
    const id = current.current;
    return () => void callKiosk('technicianEnd', { session: id });
  }, [refresh]);

  return { diagnostics, ended, refresh, act };
}
