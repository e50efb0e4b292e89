import { useEffect, useMemo, useRef, useState } from 'react';
import { byCallingCode, countryEntries, countryGroups, type CountryEntry } from '../country-list.ts';
import { useLocale, useText } from '../i18n/use-text.tsx';
import { Screen } from './Screen.tsx';

type Props = {
  /** Shown before any search: the flow's country and the profile's others. */
  first: readonly string[];
  current: string;
  onPick: (code: string) => void;
  onBack: () => void;
};

const pageSize = 8;
const maxCodeDigits = 3;

type Search = { kind: 'first' } | { kind: 'all' } | { kind: 'letter'; label: string } | { kind: 'code'; digits: string };

/**
 * The country of the number, chosen by touch or by the keypad alone: the profile's countries first, then a letter
 * strip (kana rows in Japanese) to tap, or the calling code typed on the keypad (4, 4 → the United Kingdom,
 * Guernsey…); a page of large buttons at a time, so nothing scrolls and no typing keyboard is needed.
 */
export function CountryPicker({ first, current, onPick, onBack }: Props) {
  const text = useText();
  const locale = useLocale();
  const entries = useMemo(() => countryEntries(locale), [locale]);
  const groups = useMemo(() => countryGroups(entries, locale, text('country.otherGroup')), [entries, locale, text]);
  const [search, setSearch] = useState<Search>({ kind: 'first' });
  const [page, setPage] = useState(0);

  const byCode = new Map(entries.map((entry) => [entry.code, entry]));
  const pick = (codes: readonly string[]) => codes.flatMap((code) => byCode.get(code) ?? []);
  const found: CountryEntry[] =
    search.kind === 'first'
      ? pick(first)
      : search.kind === 'letter'
        ? pick(groups.find((group) => group.label === search.label)?.codes ?? [])
        : search.kind === 'code'
          ? byCallingCode(entries, search.digits)
          : entries;
  const pages = Math.max(1, Math.ceil(found.length / pageSize));
  const shown = found.slice(page * pageSize, (page + 1) * pageSize);
  const searchFor = (next: Search) => {
    setSearch(next);
    setPage(0);
  };

  const keys = useRef({ digit: (_digit: string) => {}, back: () => {}, clear: () => {}, enter: () => {} });
  keys.current = {
    digit: (digit) => {
      const digits = search.kind === 'code' ? search.digits : '';
      if (digits.length < maxCodeDigits) searchFor({ kind: 'code', digits: digits + digit });
    },
    back: () => {
      if (search.kind !== 'code') return;
      searchFor(search.digits.length > 1 ? { kind: 'code', digits: search.digits.slice(0, -1) } : { kind: 'first' });
    },
    clear: () => searchFor({ kind: 'first' }),
    // Enter with nothing focused takes the only country the calling code leaves.
    enter: () => {
      if (search.kind === 'code' && found.length === 1) onPick(found[0]!.code);
    },
  };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const onButton = (event.target as HTMLElement | null)?.tagName === 'BUTTON';
      const action = /^\d$/.test(event.key)
        ? () => keys.current.digit(event.key)
        : { Backspace: keys.current.back, Delete: keys.current.clear, Enter: onButton ? undefined : keys.current.enter }[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <Screen title={text('country.title')} className="country-picker">
      <p className="lead" data-speak>
        {text('country.hint')}
      </p>
      {search.kind === 'code' && (
        <p className="country-code" role="status" data-speak>
          {found.length > 0
            ? text('country.codeTyped', { code: search.digits, count: found.length })
            : text('country.noCode', { code: search.digits })}
        </p>
      )}
      <div className="country-list" role="group" aria-label={text(search.kind === 'first' ? 'country.first' : 'country.found')}>
        {shown.map((entry) => (
          <button
            key={entry.code}
            type="button"
            className="button country"
            aria-current={entry.code === current ? 'true' : undefined}
            onClick={() => onPick(entry.code)}
          >
            <span className="country-name">{entry.name}</span> <span className="country-calling">+{entry.callingCode}</span>
          </button>
        ))}
      </div>
      <div className="actions country-pages">
        {page > 0 && (
          <button type="button" className="button secondary" onClick={() => setPage(page - 1)}>
            {text('country.previous')}
          </button>
        )}
        {page + 1 < pages && (
          <button type="button" className="button secondary" onClick={() => setPage(page + 1)}>
            {text('country.next', { page: page + 2, pages })}
          </button>
        )}
        {search.kind === 'first' && (
          <button type="button" className="button secondary" onClick={() => searchFor({ kind: 'all' })}>
            {text('country.all')}
          </button>
        )}
      </div>
      <div className="letter-strip" role="group" aria-label={text('country.letters')}>
        {groups.map((group) => (
          <button
            key={group.label}
            type="button"
            className="letter"
            aria-pressed={search.kind === 'letter' && search.label === group.label}
            onClick={() => searchFor({ kind: 'letter', label: group.label })}
          >
            {group.label}
          </button>
        ))}
      </div>
      <div className="actions">
        <button type="button" className="button secondary" onClick={onBack}>
          {text('country.back')}
        </button>
      </div>
    </Screen>
  );
}
