// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inMemoryKiosk } from './in-memory-kiosk.ts';
import { showKiosk, showOffer, type KioskScreen } from './screen.tsx';

// No speech engine runs here: window.speechSynthesis is a recording stand-in, and reading it is counted, because
// in Chromium that read starts the platform's speech service.
const speech = { reads: 0, spoken: [] as Array<{ text: string; lang: string }>, cancelled: 0 };
const synthesis = {
  speak: (utterance: { text: string; lang: string }) => speech.spoken.push({ text: utterance.text, lang: utterance.lang }),
  cancel: () => void speech.cancelled++,
};

let screen: KioskScreen | undefined;
beforeEach(() => {
  Object.assign(speech, { reads: 0, spoken: [], cancelled: 0 });
  Object.defineProperty(window, 'speechSynthesis', {
    configurable: true,
    get: () => {
      speech.reads++;
      return synthesis;
    },
  });
  vi.stubGlobal(
    'SpeechSynthesisUtterance',
    class {
      lang = '';
      constructor(readonly text: string) {}
    },
  );
});
afterEach(async () => {
  await screen?.unmount();
  screen = undefined;
  vi.unstubAllGlobals();
  Reflect.deleteProperty(window, 'speechSynthesis');
});

describe('audio guidance', () => {
  it('leaves the speech service alone until someone turns it on', async () => {
    screen = await showOffer(inMemoryKiosk(), 'airline');
    await screen.click('button', 'English');
    expect(speech.reads).toBe(0);
    expect(speech.spoken).toEqual([]);
  });

  it('reads each step aloud in the chosen language once on, and stops when turned off', async () => {
    screen = await showKiosk(inMemoryKiosk().api);
    await screen.click('button', 'English');
    await screen.click('button', 'Audio guidance');
    expect(speech.spoken).toEqual([{ text: expect.stringContaining('Welcome'), lang: 'en' }]);

    await screen.click('button', 'Stop WhatsApp messages');
    expect(speech.spoken).toHaveLength(2);
    expect(speech.spoken[1]).toEqual({ text: expect.stringContaining(screen.heading()), lang: 'en' });

    const cancelledBefore = speech.cancelled;
    await screen.click('button', 'Audio guidance');
    expect(speech.cancelled).toBe(cancelledBefore + 1);
    await screen.click('button', 'Cancel');
    expect(speech.spoken).toHaveLength(2);
  });
});
