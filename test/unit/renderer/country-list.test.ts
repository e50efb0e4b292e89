import { getCountries } from 'libphonenumber-js/mobile';
import { describe, expect, it } from 'vitest';
import { byCallingCode, countryEntries, countryGroups, firstCountries } from '../../../renderer/country-list.ts';

describe('the country picker’s list', () => {
  it('is every country libphonenumber-js knows, named in the screen’s language and in its alphabetical order', () => {
    const english = countryEntries('en');
    expect(english.map((entry) => entry.code).sort()).toEqual([...getCountries()].sort());
    expect(english.find((entry) => entry.code === 'ES')).toEqual({ code: 'ES', name: 'Spain', callingCode: '34' });
    expect(countryEntries('ja').find((entry) => entry.code === 'ES')?.name).toBe('スペイン');
    const names = english.map((entry) => entry.name);
    expect(names.indexOf('Åland Islands')).toBeLessThan(names.indexOf('Albania'));
  });

  it('puts the flow’s country and then the profile’s others first, each once', () => {
    expect(firstCountries('JP', ['US', 'JP', 'CN'])).toEqual(['JP', 'US', 'CN']);
  });

  it('groups by first letter without accents, and by kana row in Japanese with kanji names last', () => {
    const english = countryGroups(countryEntries('en'), 'en', 'Other');
    expect(english.map((group) => group.label).join('')).toBe('ABCDEFGHIJKLMNOPQRSTUVWYZ');
    expect(english.find((group) => group.label === 'A')?.codes).toContain('AX');
    const japanese = countryGroups(countryEntries('ja'), 'ja', '漢字');
    expect(japanese.map((group) => group.label)).toEqual(['ア', 'カ', 'サ', 'タ', 'ナ', 'ハ', 'マ', 'ヤ', 'ラ', '漢字']);
    expect(japanese.find((group) => group.label === 'サ')?.codes).toContain('ES');
    expect(japanese.find((group) => group.label === '漢字')?.codes).toEqual(expect.arrayContaining(['JP', 'CN', 'KR']));
    expect(japanese.flatMap((group) => group.codes)).toHaveLength(getCountries().length);
  });

  it('finds countries by the calling code typed so far', () => {
    const english = countryEntries('en');
    expect(byCallingCode(english, '44').map((entry) => entry.code).sort()).toEqual(['GB', 'GG', 'IM', 'JE']);
    expect(byCallingCode(english, '34').map((entry) => entry.code)).toEqual(['ES']);
    expect(byCallingCode(english, '999')).toEqual([]);
  });
});
