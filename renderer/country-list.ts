import { getCountries, getCountryCallingCode, type CountryCode } from 'libphonenumber-js/mobile';

/** One country a number can be entered for: libphonenumber's list and calling codes, the name in the screen's language. */
export type CountryEntry = { code: string; name: string; callingCode: string };

/** A tap target of the letter strip: the countries whose names start with that letter (or kana row). */
export type CountryGroup = { label: string; codes: string[] };

/** Japanese names start with katakana, grouped by the row of the kana table as Japanese indexes are (あかさたな…). */
const kanaRows = ['ア', 'カ', 'サ', 'タ', 'ナ', 'ハ', 'マ', 'ヤ', 'ラ', 'ワ'];
const kana = /^[\u3040-\u30ff]/;

/** Every country libphonenumber-js knows, named in `locale`, in that language's alphabetical order. */
export function countryEntries(locale: string): CountryEntry[] {
  const names = new Intl.DisplayNames([locale], { type: 'region' });
  const collator = new Intl.Collator(locale);
  return getCountries()
    .map((code) => ({ code, name: names.of(code) ?? code, callingCode: getCountryCallingCode(code) }))
    .sort((a, b) => collator.compare(a.name, b.name));
}

/** The countries the picker shows first: the flow's own, then the profile's others, each once, known ones only. */
export function firstCountries(defaultCountry: string, profileCountries: readonly string[]): string[] {
  const known = new Set<string>(getCountries());
  return [...new Set([defaultCountry, ...profileCountries])].filter((code) => known.has(code as CountryCode));
}

/**
 * The letter strip: one group per initial letter with its diacritics taken off (Å with A, É with E), or per kana
 * row in Japanese; names that start otherwise (Japanese names in kanji: 日本, 中国) go to the last group, `other`.
 */
export function countryGroups(entries: readonly CountryEntry[], locale: string, other: string): CountryGroup[] {
  const collator = new Intl.Collator(locale, { sensitivity: 'base' });
  const groups = new Map<string, string[]>();
  const add = (label: string, code: string) => groups.set(label, [...(groups.get(label) ?? []), code]);
  const rest: string[] = [];
  for (const entry of entries) {
    const first = entry.name.normalize('NFD').charAt(0);
    if (kana.test(first)) {
      add(kanaRows.filter((row) => collator.compare(row, first) <= 0).at(-1) ?? kanaRows[0]!, entry.code);
    } else if (/^[A-Za-z]/.test(first)) {
      add(first.toUpperCase(), entry.code);
    } else {
      rest.push(entry.code);
    }
  }
  const ordered = [...groups.entries()]
    .sort(([a], [b]) => collator.compare(a, b))
    .map(([label, codes]) => ({ label, codes }));
  return rest.length > 0 ? [...ordered, { label: other, codes: rest }] : ordered;
}

/** The countries whose calling code starts with the digits typed on the keypad (1 → the US, Canada, Jamaica…). */
export function byCallingCode(entries: readonly CountryEntry[], digits: string): CountryEntry[] {
  return entries.filter((entry) => entry.callingCode.startsWith(digits));
}
