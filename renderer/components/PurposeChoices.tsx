import type { Locale, PurposeCategory } from '../../shared/contract/primitives.ts';
import type { PurposeDefinition } from '../../shared/contract/profile.ts';
import { useText } from '../i18n/use-text.tsx';

type Props = {
  purposes: PurposeDefinition[];
  locale: Locale;
  selected: ReadonlySet<string>;
  onToggle: (purposeId: string) => void;
};

/**
 * One large row per purpose, service messages and marketing in separate groups. The boxes start empty: only the
 * person's own touch ticks one.
 */
export function PurposeChoices({ purposes, locale, selected, onToggle }: Props) {
  const text = useText();
  const categories: PurposeCategory[] = ['utility', 'marketing'];
  const legends = { utility: text('optIn.service'), marketing: text('optIn.marketing') };
  return (
    <div className="purpose-groups">
      {categories.map((category) => {
        const inGroup = purposes.filter((purpose) => purpose.category === category);
        if (inGroup.length === 0) return null;
        return (
          <fieldset key={category} className={`purpose-group purpose-group-${category}`}>
            <legend data-speak>{legends[category]}</legend>
            {inGroup.map((purpose) => (
              <label key={purpose.id} className="choice">
                <input type="checkbox" checked={selected.has(purpose.id)} onChange={() => onToggle(purpose.id)} />
                <span className="choice-label" data-speak>
                  {purpose.label[locale] ?? purpose.id}
                </span>
              </label>
            ))}
          </fieldset>
        );
      })}
    </div>
  );
}
