// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { inMemoryKiosk } from './in-memory-kiosk.ts';
import { reachAirlineKeypad, type KioskScreen } from './screen.tsx';

let screen: KioskScreen | undefined;

afterEach(async () => {
  await screen?.unmount();
  screen = undefined;
});

/** The airline flow has no host-verified number, so Review leads to the keypad. */
async function reachKeypad(host = inMemoryKiosk()) {
  screen = await reachAirlineKeypad(host, '', 'gate changes');
  return screen;
}

const display = (kiosk: KioskScreen) => kiosk.get<HTMLInputElement>('textbox').value;

describe('number entry', () => {
  it('formats the number live as the on-screen keys are touched, with Back and Clear', async () => {
    const kiosk = await reachKeypad();
    for (const digit of '09012345678') await kiosk.click('button', digit);
    expect(display(kiosk)).toBe('090-1234-5678');
    await kiosk.click('button', 'Back');
    expect(display(kiosk)).toBe('090-1234-567');
    await kiosk.click('button', 'Clear');
    expect(display(kiosk)).toBe('');
  });

  it('takes digits, Back (Backspace), Clear (Delete) and Enter from a physical keypad', async () => {
    const kiosk = await reachKeypad();
    await kiosk.type('0901234567');
    await kiosk.press('Backspace');
    expect(display(kiosk)).toBe('090-1234-56');
    await kiosk.press('Delete');
    expect(display(kiosk)).toBe('');
    await kiosk.type('09012345678');
    await kiosk.press('Enter');
    expect(kiosk.heading()).toBe('Check and confirm');
    expect(kiosk.container.textContent).toContain('Messages will go to +81 90 1234 5678.');
  });

  it('refuses a landline with a clear message and stays on the keypad', async () => {
    const kiosk = await reachKeypad();
    await kiosk.type('0312345678');
    await kiosk.click('button', 'Enter');
    expect(kiosk.get('alert').textContent).toBe(
      'That is not a mobile number in Japan. Please check it, or choose another country.',
    );
    expect(kiosk.heading()).toBe('Enter your mobile number');
    expect(kiosk.get('textbox').getAttribute('aria-invalid')).toBe('true');
  });

  it('offers a telephone-layout keypad with every key at least the minimum touch target', async () => {
    const kiosk = await reachKeypad();
    const keys = Array.from(kiosk.container.querySelectorAll('.keypad button'), (key) => key.textContent);
    expect(keys).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', 'Clear', '0', 'Back', 'Enter']);
    expect(kiosk.get('button', '5').querySelector('.tactile-dot')).not.toBeNull();
  });

  it('sends the typed number as self-entered E.164 with its country', async () => {
    const host = inMemoryKiosk();
    const kiosk = await reachKeypad(host);
    await kiosk.type('09012345678');
    await kiosk.press('Enter');
    await kiosk.click('button', 'Confirm');
    expect(host.captures[0]?.subject).toEqual({ source: 'self_entered', phone: '+819012345678', country: 'JP' });
  });
});
