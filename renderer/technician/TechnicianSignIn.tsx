import { useState } from 'react';
import type { z } from 'zod';
import type { TechnicianOpened } from '../../shared/contract/technician.ts';
import { Keypad } from '../components/Keypad.tsx';
import { Screen } from '../components/Screen.tsx';
import { useText } from '../i18n/use-text.tsx';
import { callKiosk } from '../kiosk-call.ts';

type Props = { onOpened: (opened: z.infer<typeof TechnicianOpened>) => void; onCancel: () => void };

/** The six digits of a technician's authenticator, typed on the keypad; the host checks them and counts failures. */
export function TechnicianSignIn({ onOpened, onCancel }: Props) {
  const text = useText();
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async () => {
    const answer = await callKiosk('technicianBegin', { code });
    setCode('');
    if (answer.ok) onOpened(answer.value);
    else setProblem(answer.error.message);
  };
  return (
    <Screen title={text('technician.signIn')} className="technician">
      <label className="technician-code">
        {text('technician.code')}
        <output aria-live="off">{code.replace(/./g, '•').padEnd(6, '–')}</output>
      </label>
      {problem && (
        <p role="alert" className="technician-problem">
          {problem}
        </p>
      )}
      <Keypad
        onDigit={(digit) => setCode((current) => (current.length < 6 ? current + digit : current))}
        onClear={() => setCode('')}
        onBack={() => setCode((current) => current.slice(0, -1))}
        onEnter={() => void submit()}
      />
      <button type="button" className="button" onClick={onCancel}>
        {text('technician.cancel')}
      </button>
    </Screen>
  );
}
