// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { catalogues, languageNames } from '../../../renderer/i18n/catalogues.ts';
import { en, type MessageId } from '../../../renderer/i18n/en.ts';
import type { Locale } from '../../../shared/contract/primitives.ts';
import { inMemoryKiosk } from './in-memory-kiosk.ts';
import { showKiosk, type KioskScreen } from './screen.tsx';

let screen: KioskScreen | undefined;
afterEach(async () => {
  await screen?.unmount();
  screen = undefined;
});

const technicianKeys = (Object.keys(en) as MessageId[]).filter((id) => id.startsWith('technician.'));

describe('technician mode', () => {
  it.each((Object.keys(catalogues) as Locale[]).filter((locale) => locale !== 'en'))('speaks %s, not English, on every technician screen label', (locale) => {
    const untranslated = technicianKeys.filter((id) => catalogues[locale][id] === en[id] && !/^[{(seq]/.test(en[id]));
    expect(untranslated).toEqual([]);
  });

  it("opens its sign-in in the language on screen: the demo's Japanese, then the one the technician taps", async () => {
    screen = await showKiosk(inMemoryKiosk().api);
    for (let tap = 0; tap < 5; tap++) await screen.click('button', catalogues.ja['technician.service']);
    expect(screen.heading()).toBe('保守担当者のサインイン');
    await screen.click('button', languageNames.es);
    expect(screen.heading()).toBe('Acceso del técnico');
    expect(screen.query('button', 'Cancelar')).not.toBeNull();
  });
});
