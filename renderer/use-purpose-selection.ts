import { useState } from 'react';

/**
 * The purposes (or, on the review, the sentences) a person has ticked (none at first: a pre-ticked box is not
 * consent), and whether they tried to go on with none ticked.
 */
export function usePurposeSelection() {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [nothingChosen, setNothingChosen] = useState(false);
  const toggle = (purposeId: string) => {
    const next = new Set(selected);
    if (!next.delete(purposeId)) next.add(purposeId);
    setSelected(next);
    setNothingChosen(false);
  };
  /** True when at least one purpose is ticked; otherwise flags the "choose at least one" message. */
  const requireSome = () => {
    setNothingChosen(selected.size === 0);
    return selected.size > 0;
  };
  return { selected, toggle, nothingChosen, requireSome };
}
