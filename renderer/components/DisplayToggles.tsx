import { useText } from '../i18n/use-text.tsx';

export type DisplayPreferences = { contrast: boolean; largeText: boolean; audio: boolean };
export const plainDisplay: DisplayPreferences = { contrast: false, largeText: false, audio: false };

type Props = { value: DisplayPreferences; onChange: (value: DisplayPreferences) => void };

const toggles = [
  { key: 'contrast', label: 'a11y.contrast', icon: '◐' },
  { key: 'largeText', label: 'a11y.largeText', icon: 'A+' },
  { key: 'audio', label: 'a11y.audio', icon: '♪' },
] as const;

export function DisplayToggles({ value, onChange }: Props) {
  const text = useText();
  return (
    <div className="display-toggles" role="group" aria-label={text('app.accessibility')}>
      {toggles.map(({ key, label, icon }) => (
        <button
          key={key}
          type="button"
          className="chip"
          aria-pressed={value[key]}
          onClick={() => onChange({ ...value, [key]: !value[key] })}
        >
          <span className="chip-icon" aria-hidden="true">
            {icon}
          </span>
          {text(label)}
        </button>
      ))}
    </div>
  );
}
