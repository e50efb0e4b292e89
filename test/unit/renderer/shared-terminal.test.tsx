// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inMemoryKiosk } from './in-memory-kiosk.ts';
import { reachAirlineKeypad, showKiosk, showOffer, type KioskScreen } from './screen.tsx';

let screen: KioskScreen | undefined;

afterEach(async () => {
  await screen?.unmount();
  screen = undefined;
  vi.useRealTimers();
});

async function reachKeypad(host: ReturnType<typeof inMemoryKiosk>, search: string) {
  screen = await reachAirlineKeypad(host, search, 'delays');
  return screen;
}

const wait = (seconds: number) => act(async () => vi.advanceTimersByTime(seconds * 1000));

describe('idle reset on a shared terminal', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  });

  it('warns first, then starts over and leaves no trace of the typed number in the page', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachKeypad(host, '?idle=3,2');
    await kiosk.type('09087654321');
    expect(kiosk.container.innerHTML).toContain('090-8765-4321');

    await wait(3);
    expect(kiosk.get('alertdialog').textContent).toContain('this screen will start over in 2 seconds');
    await wait(2);

    expect(kiosk.query('alertdialog')).toBeNull();
    // The next customer starts afresh, in the terminal's default language.
    expect(kiosk.get('button', 'WhatsAppメッセージの停止')).toBeTruthy();
    expect(document.body.innerHTML).not.toMatch(/8765|4321/);
    expect(host.reports.map((report) => report.event)).toEqual(['shown', 'idle_warning', 'timed_out']);
    expect(host.reports[1]).toMatchObject({ secondsLeft: 2 });
    expect(host.captures).toEqual([]);
  });

  it('keeps the person where they were when they touch Continue in the warning', async () => {
    const kiosk = await reachKeypad(inMemoryKiosk(), '?idle=3,2');
    await kiosk.type('090');
    await wait(3);
    await kiosk.click('button', 'Continue');
    await wait(2);
    expect(kiosk.query('alertdialog')).toBeNull();
    expect(kiosk.get<HTMLInputElement>('textbox').value).toBe('090');
  });

  it('gives at least the profile’s 20 seconds of warning when no override is set', async () => {
    const kiosk = await reachKeypad(inMemoryKiosk(), '');
    await wait(60);
    expect(kiosk.get('alertdialog')).toBeTruthy();
    await wait(19);
    expect(kiosk.get('alertdialog')).toBeTruthy();
    await wait(11);
    expect(kiosk.query('alertdialog')).toBeNull();
    expect(kiosk.get('button', 'WhatsAppメッセージの停止')).toBeTruthy();
  });
});

describe('languages', () => {
  it('switches language mid-step without losing the ticked purposes or the typed digits', async () => {
    const kiosk = await reachKeypad(inMemoryKiosk(), '');
    await kiosk.type('0901234');
    await kiosk.click('button', '日本語');
    expect(kiosk.heading()).toBe('携帯電話番号を入力してください');
    expect(kiosk.get<HTMLInputElement>('textbox').value).toBe('090-1234');
    await kiosk.click('button', '選択に戻る');
    expect(kiosk.get<HTMLInputElement>('checkbox', '遅延のお知らせ').checked).toBe(true);
    expect(kiosk.get<HTMLInputElement>('checkbox', '搭乗口の変更').checked).toBe(false);
    expect(document.documentElement.lang).toBe('ja');
  });

  it('opens the step in the language of the terminal’s transaction, and tells the host when the customer switches', async () => {
    const host = inMemoryKiosk();
    const kiosk = await showOffer(host, 'airline', '', 'es');
    screen = kiosk;
    expect(kiosk.heading()).toBe('¿Quiere recibir mensajes de Sora Airlines por WhatsApp?');
    await kiosk.click('button', 'English');
    expect(host.reports.map((report) => report.event)).toEqual(['shown', 'language_changed']);
    expect(host.reports[1]).toMatchObject({ locale: 'en' });
  });

  it('renders the review sentence in the language on screen when the language changes on the review', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachKeypad(host, '');
    await kiosk.type('09012345678');
    await kiosk.press('Enter');
    await kiosk.click('button', 'Español');
    const shown = kiosk.container.querySelector('.sentence')?.textContent;
    expect(shown).toContain('Acepto recibir retrasos de Sora Airlines');
    await kiosk.click('button', 'Confirmar');
    expect(host.captures[0]).toMatchObject({ locale: 'es', consents: [{ purposeIds: ['delays'], shownText: shown }] });
  });

  it('offers every profile language by its own name, always on screen', async () => {
    screen = await showKiosk(inMemoryKiosk().api);
    for (const name of ['日本語', 'English', 'Español', 'Português (Brasil)', 'Bahasa Indonesia']) {
      expect(screen.get('button', name).getAttribute('aria-pressed')).toBe(name === '日本語' ? 'true' : 'false');
    }
  });
});
